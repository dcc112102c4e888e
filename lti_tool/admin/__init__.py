"""Admin reports: completion by country and agency across the courses of one platform."""
