"""Grades owed to LMSs: written with the attempt, delivered by workers over AGS, never lost."""
