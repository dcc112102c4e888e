"""Courses (LTI contexts), placements (resource links), participants and enrolments."""
