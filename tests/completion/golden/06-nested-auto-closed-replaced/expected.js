console.log(items.map(⟦(item) => item.name))⟧;
