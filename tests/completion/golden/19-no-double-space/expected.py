x = ⟦compute()⟧
