"""Qt item models and the dashboard's columnar usage store."""
