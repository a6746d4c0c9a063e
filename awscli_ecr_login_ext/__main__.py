from .setup_cli import main

raise SystemExit(main())
