if (⟦user.isAdmin)⟧ {
  run();
}
