package main

func double(x int) int {<|cursor|>