function add(a, b) {<|cursor|>
}
