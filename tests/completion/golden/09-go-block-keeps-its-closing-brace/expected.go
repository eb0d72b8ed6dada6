package main

func double(x int) int {⟦
	return x * 2
}⟧