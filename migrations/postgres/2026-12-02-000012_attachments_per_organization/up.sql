-- Attachment ids are chosen by the phone, so they are unique within an organization only:
-- another organization's id must behave exactly like an unknown one (a shared key answered
-- 409 and told one organization that the id existed in another).
ALTER TABLE attachments DROP CONSTRAINT attachments_pkey;
ALTER TABLE attachments ADD PRIMARY KEY (organization_id, id);
