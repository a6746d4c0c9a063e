"""Floor 5: the ``aws ecr2`` commands and the adapter to the AWS CLI (v1 and v2): the only
floor that imports awscli or botocore."""
