"""Load generation: the scenario model, load profiles and the open-model scheduler of launches and stops."""
