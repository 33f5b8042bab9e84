DROP TABLE mail_outbox;
DROP TABLE mail_receipts;
DROP TABLE member_mail;
