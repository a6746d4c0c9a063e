"""Floor 4: ``awscli-ecr-login-ext install|uninstall|status`` and every file install writes
(the redirect, the config editor it copies, aliases, Docker's config). Imports core, identity
and cache."""
