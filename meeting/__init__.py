"""议事厅 (Yishi): live facilitation of community consultation meetings."""
