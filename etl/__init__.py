"""ASB and Community Trigger warehouse: extract, stage, geocode, pseudonymise, de-duplicate, publish."""

__version__ = "0.1.0"
