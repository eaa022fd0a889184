"""The rules of a contact center: statuses, agents, contacts, slots, activity and routing (pure)."""
