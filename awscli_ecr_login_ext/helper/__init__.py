"""Floor 4: ``docker-credential-ecr2``: protocol, service, settings and the child ``aws`` a miss
runs. Imports core, identity and cache; never awscli or botocore."""
