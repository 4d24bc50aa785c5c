DROP TABLE checklist_versions;
DROP TABLE checklists;
DROP TABLE standards_book_versions;
DROP TABLE standards_books;
