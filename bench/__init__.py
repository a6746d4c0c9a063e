"""`make bench`: whole-process benchmarks of `aws ecr2` and `docker-credential-ecr2`
(see __main__)."""
