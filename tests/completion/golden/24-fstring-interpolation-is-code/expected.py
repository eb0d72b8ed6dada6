label = f"{user.⟦full_name⟧}"
