console.log(items.map(<|cursor|>));
