"""What a learner sees after a launch: modules, pages, quizzes, results."""
