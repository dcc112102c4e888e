"""Quizzes: drawing papers, reading answers and scoring (see `engine`)."""
