"""Learning gain and certificates: the course's knowledge checks before and after, what they show
by country and objective, and certificates of completion that anyone can verify."""
