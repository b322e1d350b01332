"""服务时长: the hours ledger. Visits file pending claims here; the hours issue adds the screens."""
