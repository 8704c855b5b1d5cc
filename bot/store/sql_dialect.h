#pragma once

// Pure translations from the SQL the Store is written in (SQLite's) to PostgreSQL's.

#include <string>
#include <string_view>

namespace vigil::sql {

/// `?N` becomes `$N` and a bare `?` the next number after the highest so far (SQLite's rule);
/// quoted strings and identifiers are left alone. `highest`, when given, is set to the highest number.
std::string numbered_parameters(std::string_view sql, int* highest = nullptr);

/// A migration written for SQLite, as PostgreSQL creates the same schema:
/// - `INTEGER PRIMARY KEY AUTOINCREMENT` becomes `BIGSERIAL PRIMARY KEY`, other `INTEGER`s
///   `BIGINT` (times in milliseconds do not fit 32 bits) and `REAL` `DOUBLE PRECISION`;
/// - a table without an integer key gets `rowid BIGSERIAL`, the insertion order SQLite keeps in
///   its implicit rowid, which the Store orders ties by;
/// - the column `user` (a reserved word in PostgreSQL) is quoted.
std::string postgres_schema(std::string_view ddl);

/// A PostgreSQL connection string (`postgres://user:secret@host/db` or `key=value …`) fit for a log
/// line or an error message: the password, in either form, becomes `***`.
std::string redacted_dsn(std::string_view dsn);
/// The password a DSN carries, as written in it ("" when none): a secret for the redactor.
std::string dsn_password(std::string_view dsn);

}  // namespace vigil::sql
