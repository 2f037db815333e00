-- One database per service: no service can read another's tables, even by accident.
CREATE DATABASE intake;
CREATE DATABASE dispatch;
CREATE DATABASE billing;
CREATE DATABASE survey;
CREATE DATABASE archive;
CREATE DATABASE staff;
CREATE DATABASE notices;
-- The console's one table: each person's chosen language.
CREATE DATABASE console;
