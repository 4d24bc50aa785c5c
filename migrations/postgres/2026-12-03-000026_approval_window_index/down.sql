DROP INDEX rollups_location_window;
