from .setup.command import main

raise SystemExit(main())
