"""A participant's progress in a module and their quiz attempts: the rows, and the rules that fill them."""
