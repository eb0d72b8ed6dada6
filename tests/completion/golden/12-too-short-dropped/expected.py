name = user.
