SELECT 'abc;
SELECT * FORM t; SELECT X'abc'; SELECT ((((1 + 2 ) /* c */ -- d
