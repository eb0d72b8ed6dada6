// select: LC
package main

func tangled(a, b, c, d int) int { // expect: LC401
	if a > 0 {
		for x := 0; x < b; x++ {
			if c > 0 {
				for d > 0 {
					if x > 1 { // expect: LC402
						return 1
					}
					d--
				}
			}
		}
	}
	if a > 0 && b > 0 || c > 0 {
		return 2
	} else if b > 0 {
		return 3
	} else if c > 0 {
		return 4
	}
	switch d {
	case 1:
		return 5
	case 2:
		return 6
	}
	return 7
}

func simple(a int) int {
	if a > 0 {
		return 1
	}
	return 2
}
