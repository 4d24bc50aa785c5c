DROP TABLE rollups;
