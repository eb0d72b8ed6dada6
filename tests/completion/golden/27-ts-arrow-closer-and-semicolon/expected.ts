const names = users.map((u) => ⟦u.name)⟧;
