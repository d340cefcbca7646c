"""searchapp: full-text search of FRUS diplomatic telegrams, telegraphese included."""
