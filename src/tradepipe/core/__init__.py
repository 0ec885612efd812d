"""The nine stages as plain functions over domain types."""
