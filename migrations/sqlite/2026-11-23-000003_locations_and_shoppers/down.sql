DROP TABLE shopper_exclusions;
DROP TABLE shopper_profiles;
DROP TABLE locations;
