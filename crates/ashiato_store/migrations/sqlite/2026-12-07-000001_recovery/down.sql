ALTER TABLE member_mail DROP COLUMN phone_confirmed_at;
ALTER TABLE members DROP COLUMN email_confirmed_at;
DROP TABLE account_tokens;
