DROP TABLE community_photos;
DROP TABLE member_photos;
DROP TABLE diary_photos;
DROP TABLE photos;
