/*
 * The cache table the memcache_* functions work on: the setting pymcache_fdw.default_table (settable per database,
 * role or session) names a foreign table whose server runs the wrapper pymcache_fdw.PymcacheFDW. Its servers,
 * distribution, prefix, timeouts and write_mode are its options, merged as Multicorn merges them (the table's, then
 * the server's, then the current user's user mapping or PUBLIC's, a later one winning; multicorn2's getOptions), and
 * the module pymcache_fdw.functions builds one PymcacheFDW instance per table from them.
 *
 * A call costs no catalog lookup once the table is resolved: the resolution is cached with the setting, the
 * search_path and the user it was made for, and dropped on any relcache invalidation or on a change of a foreign
 * table, server, user mapping, wrapper or schema. The privilege checks (SELECT for reads, INSERT and UPDATE for
 * writes, DELETE for deletes) are cached the same way.
 */
#include "pymcache_fdw.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/relation.h"
#include "access/reloptions.h"
#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_foreign_table.h"
#include "catalog/pg_user_mapping.h"
#include "commands/dbcommands.h"
#include "commands/defrem.h"
#include "foreign/foreign.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "utils/varlena.h"

#define SETTING_NAME   "pymcache_fdw.default_table"
#define CACHE_WRAPPER  "pymcache_fdw.PymcacheFDW"
#define WRAPPER_PREFIX "pymcache_fdw."
#define WRAPPER_OPTION "wrapper"
/* The HINT's example value when the database has no cache table to name. */
#define EXAMPLE_TABLE "public.cache"

static char *default_table_setting = NULL;

/* The resolution of the setting, valid until an invalidation or a change of setting, search_path or user. */
typedef struct ResolvedTable
{
	bool	  valid;
	char	 *setting;	   /* in TopMemoryContext */
	char	 *search_path; /* in TopMemoryContext */
	Oid		  userid;
	Oid		  relid;
	char	 *relname; /* for privilege errors */
	int		  allowed; /* PymcAccess bits already checked */
	PyObject *functions;
} ResolvedTable;

static ResolvedTable resolved = {false, NULL, NULL, InvalidOid, InvalidOid, NULL, 0, NULL};
static bool			 callbacks_registered = false;

void
pymc_define_settings(void)
{
	DefineCustomStringVariable(SETTING_NAME,
							   "The cache table (a pymcache_fdw.PymcacheFDW foreign table) the memcache_* "
							   "functions and triggers work on.",
							   "A table name, schema-qualified or found through search_path. Its options (servers, "
							   "prefix, write_mode, ...) apply to every call.",
							   &default_table_setting, "", PGC_USERSET, 0, NULL, NULL, NULL);
	MarkGUCPrefixReserved("pymcache_fdw");
}

static void
invalidate(void)
{
	resolved.valid = false;
	resolved.allowed = 0;
}

static void
on_relcache_invalidation(Datum arg, Oid relid)
{
	invalidate();
}

static void
on_syscache_invalidation(Datum arg, int cacheid, uint32 hashvalue)
{
	invalidate();
}

static void
register_callbacks(void)
{
	if (callbacks_registered)
		return;
	CacheRegisterRelcacheCallback(on_relcache_invalidation, (Datum) 0);
	CacheRegisterSyscacheCallback(FOREIGNTABLEREL, on_syscache_invalidation, (Datum) 0);
	CacheRegisterSyscacheCallback(FOREIGNSERVEROID, on_syscache_invalidation, (Datum) 0);
	CacheRegisterSyscacheCallback(FOREIGNDATAWRAPPEROID, on_syscache_invalidation, (Datum) 0);
	CacheRegisterSyscacheCallback(USERMAPPINGOID, on_syscache_invalidation, (Datum) 0);
	CacheRegisterSyscacheCallback(NAMESPACEOID, on_syscache_invalidation, (Datum) 0);
	callbacks_registered = true;
}

/* The `wrapper` option of `server`, or NULL. */
static const char *
wrapper_of(ForeignServer *server)
{
	ListCell *cell;

	foreach(cell, server->options)
	{
		DefElem *option = (DefElem *) lfirst(cell);

		if (strcmp(option->defname, WRAPPER_OPTION) == 0)
			return defGetString(option);
	}
	return NULL;
}

/* schema.table as SQL names it, quoted where needed. */
static char *
qualified_name(Oid relid)
{
	return quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)), get_rel_name(relid));
}

/* The first cache table of the database (lowest OID), as a qualified name, or NULL when there is none. */
static char *
some_cache_table(void)
{
	Relation	catalog = table_open(ForeignTableRelationId, AccessShareLock);
	SysScanDesc scan = systable_beginscan(catalog, InvalidOid, false, NULL, 0, NULL);
	HeapTuple	tuple;
	Oid			found = InvalidOid;

	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Form_pg_foreign_table table = (Form_pg_foreign_table) GETSTRUCT(tuple);
		const char			 *wrapper = wrapper_of(GetForeignServer(table->ftserver));

		if (wrapper != NULL && strcmp(wrapper, CACHE_WRAPPER) == 0 && (!OidIsValid(found) || table->ftrelid < found))
			found = table->ftrelid;
	}
	systable_endscan(scan);
	table_close(catalog, AccessShareLock);
	return OidIsValid(found) ? qualified_name(found) : NULL;
}

/* The HINT of every default_table error: the exact line that sets it for the current database. */
static char *
setting_hint(void)
{
	const char	  *database = quote_identifier(get_database_name(MyDatabaseId));
	char		  *table = some_cache_table();
	StringInfoData hint;

	initStringInfo(&hint);
	if (table == NULL)
		appendStringInfo(&hint,
						 "Create a cache table (a foreign table of a server with wrapper '%s'), then name it: ALTER "
						 "DATABASE %s SET %s = %s;",
						 CACHE_WRAPPER, database, SETTING_NAME, quote_literal_cstr(EXAMPLE_TABLE));
	else
		appendStringInfo(&hint, "ALTER DATABASE %s SET %s = %s; (new sessions; SET %s = ... for this one)", database,
						 SETTING_NAME, quote_literal_cstr(table), SETTING_NAME);
	return hint.data;
}

static void
not_a_cache_table(const char *setting, const char *what)
{
	ereport(ERROR, (errcode(ERRCODE_WRONG_OBJECT_TYPE),
					errmsg("%s names \"%s\", which is not a pymcache_fdw cache table", SETTING_NAME, setting),
					errdetail("It is %s; the memcache_* functions need a foreign table of a server with wrapper '%s'.",
							  what, CACHE_WRAPPER),
					errhint("%s", setting_hint())));
}

/* The table the setting names, checked to be a cache table; an ERROR with the setting's HINT otherwise. */
static Oid
resolve_setting(const char *setting, ForeignTable **table, ForeignServer **server)
{
	char	   *copy = pstrdup(setting);
	List	   *names = NIL;
	List	   *qualified = NIL;
	ListCell   *cell;
	RangeVar   *range;
	Oid			relid;
	char		relkind;
	const char *wrapper;

	if (setting[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("%s is not set: the memcache_* functions do not know which cache table to use", SETTING_NAME),
				 errhint("%s", setting_hint())));
	if (!SplitIdentifierString(copy, '.', &names) || list_length(names) < 1 || list_length(names) > 3)
		ereport(ERROR, (errcode(ERRCODE_INVALID_NAME), errmsg("%s = \"%s\" is not a table name", SETTING_NAME, setting),
						errhint("%s", setting_hint())));
	foreach(cell, names)
		qualified = lappend(qualified, makeString((char *) lfirst(cell)));
	range = makeRangeVarFromNameList(qualified);
	relid = RangeVarGetRelid(range, NoLock, true);
	if (!OidIsValid(relid))
		ereport(ERROR, (errcode(ERRCODE_UNDEFINED_TABLE),
						errmsg("%s names \"%s\", which does not exist", SETTING_NAME, setting),
						errdetail("search_path is %s.", namespace_search_path), errhint("%s", setting_hint())));
	relkind = get_rel_relkind(relid);
	if (relkind != RELKIND_FOREIGN_TABLE)
		not_a_cache_table(setting, relkind == RELKIND_VIEW ? "a view" : "a table, not a foreign table");
	*table = GetForeignTable(relid);
	*server = GetForeignServer((*table)->serverid);
	wrapper = wrapper_of(*server);
	if (wrapper == NULL || strcmp(wrapper, CACHE_WRAPPER) != 0)
	{
		char *what;

		if (wrapper != NULL && strncmp(wrapper, WRAPPER_PREFIX, strlen(WRAPPER_PREFIX)) == 0)
			what = psprintf("a table of server \"%s\", whose wrapper is '%s' (statistics, not cache items)",
							(*server)->servername, wrapper);
		else
			what = psprintf("a foreign table of server \"%s\", which is not a pymcache_fdw cache server",
							(*server)->servername);
		not_a_cache_table(setting, what);
	}
	return relid;
}

/* The user mapping's options for (current user or PUBLIC, server): NIL when there is none (as multicorn2). */
static List *
user_mapping_options(Oid serverid)
{
	HeapTuple tuple;
	Datum	  datum;
	bool	  isnull;
	List	 *options = NIL;

	tuple = SearchSysCache2(USERMAPPINGUSERSERVER, ObjectIdGetDatum(GetUserId()), ObjectIdGetDatum(serverid));
	if (!HeapTupleIsValid(tuple))
		tuple = SearchSysCache2(USERMAPPINGUSERSERVER, ObjectIdGetDatum(InvalidOid), ObjectIdGetDatum(serverid));
	if (!HeapTupleIsValid(tuple))
		return NIL;
	datum = SysCacheGetAttr(USERMAPPINGUSERSERVER, tuple, Anum_pg_user_mapping_umoptions, &isnull);
	if (!isnull)
		options = untransformRelOptions(datum);
	ReleaseSysCache(tuple);
	return options;
}

/* One column as Multicorn describes it. */
typedef struct ColumnInfo
{
	char *name;
	Oid	  type_oid;
	int32 typmod;
	char *type_name;
	char *base_type_name;
	List *options;
} ColumnInfo;

/* Releases `objects` (NULLs skipped) and reports the pending Python exception. */
static void
fail_python(PyObject **objects, int count)
{
	int i;

	for (i = 0; i < count; i++)
		Py_XDECREF(objects[i]);
	pymc_report_python_error(ERROR);
}

/* A dict of `options` (DefElems), `wrapper` left out; NULL with an exception set on failure. */
static PyObject *
options_dict(List *options)
{
	PyObject *dict = PyDict_New();
	ListCell *cell;

	if (dict == NULL)
		return NULL;
	foreach(cell, options)
	{
		DefElem	   *option = (DefElem *) lfirst(cell);
		const char *text = defGetString(option);
		PyObject   *value;

		if (strcmp(option->defname, WRAPPER_OPTION) == 0)
			continue;
		value = pymc_text_to_python(text, strlen(text));
		if (value == NULL || PyDict_SetItemString(dict, option->defname, value) < 0)
		{
			Py_XDECREF(value);
			Py_DECREF(dict);
			return NULL;
		}
		Py_DECREF(value);
	}
	return dict;
}

/* name -> multicorn.ColumnDefinition, in column order; NULL with an exception set on failure. */
static PyObject *
columns_dict(ColumnInfo *columns, int count)
{
	PyObject *multicorn = PyImport_ImportModule("multicorn");
	PyObject *column_class = multicorn != NULL ? PyObject_GetAttrString(multicorn, "ColumnDefinition") : NULL;
	PyObject *dict = column_class != NULL ? PyDict_New() : NULL;
	int		  i;

	Py_XDECREF(multicorn);
	if (dict == NULL)
	{
		Py_XDECREF(column_class);
		return NULL;
	}
	for (i = 0; i < count; i++)
	{
		ColumnInfo *column = &columns[i];
		PyObject   *options = options_dict(column->options);
		PyObject   *definition =
			  options == NULL ?
				  NULL :
				  PyObject_CallFunction(column_class, "sIissO", column->name, (unsigned int) column->type_oid,
										(int) column->typmod, column->type_name, column->base_type_name, options);

		Py_XDECREF(options);
		if (definition == NULL || PyDict_SetItemString(dict, column->name, definition) < 0)
		{
			Py_XDECREF(definition);
			Py_DECREF(dict);
			Py_DECREF(column_class);
			return NULL;
		}
		Py_DECREF(definition);
	}
	Py_DECREF(column_class);
	return dict;
}

static void
append_options(StringInfo signature, List *options)
{
	ListCell *cell;

	foreach(cell, options)
	{
		DefElem *option = (DefElem *) lfirst(cell);

		appendStringInfo(signature, "%s=%s\x1f", option->defname, defGetString(option));
	}
	appendStringInfoChar(signature, '\x1e');
}

/* Resolves the setting and asks pymcache_fdw.functions for the table's object (kept while the signature holds). */
static void
rebuild(const char *setting, Oid userid)
{
	ForeignTable  *table;
	ForeignServer *server;
	Oid			   relid;
	List		  *options = NIL;
	ColumnInfo	  *columns;
	int			   column_count = 0;
	Relation	   relation;
	TupleDesc	   desc;
	StringInfoData signature;
	char		  *table_name;
	char		  *server_name;
	List		  *server_option_names = NIL;
	ListCell	  *cell;
	PyObject	  *module;
	PyObject	  *objects[7] = {NULL, NULL, NULL, NULL, NULL, NULL, NULL};
	PyObject	  *result;
	int			   i;

	register_callbacks();
	module = pymc_functions_module();
	relid = resolve_setting(setting, &table, &server);

	options = list_concat(options, table->options);
	options = list_concat(options, server->options);
	options = list_concat(options, user_mapping_options(server->serverid));
	foreach(cell, server->options)
	{
		DefElem *option = (DefElem *) lfirst(cell);

		if (strcmp(option->defname, WRAPPER_OPTION) != 0)
			server_option_names = lappend(server_option_names, option->defname);
	}
	table_name = qualified_name(relid);
	server_name = pstrdup(quote_identifier(server->servername));

	initStringInfo(&signature);
	append_options(&signature, options);
	relation = relation_open(relid, AccessShareLock);
	desc = RelationGetDescr(relation);
	columns = palloc0(sizeof(ColumnInfo) * Max(desc->natts, 1));
	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute attribute = TupleDescAttr(desc, i);
		ColumnInfo		 *column;

		if (attribute->attisdropped)
			continue;
		column = &columns[column_count++];
		column->name = pstrdup(NameStr(attribute->attname));
		column->type_oid = attribute->atttypid;
		column->typmod = attribute->atttypmod;
		column->type_name = format_type_with_typemod(attribute->atttypid, attribute->atttypmod);
		column->base_type_name = format_type_be(attribute->atttypid);
		column->options = GetForeignColumnOptions(relid, attribute->attnum);
		appendStringInfo(&signature, "%s\x1f%u\x1f%d\x1f", column->name, column->type_oid, column->typmod);
		append_options(&signature, column->options);
	}
	relation_close(relation, AccessShareLock);

	/* Python: every object made before the call, all released before any report. */
	objects[0] = PyLong_FromUnsignedLong(relid);
	objects[1] = objects[0] != NULL ? PyUnicode_FromStringAndSize(signature.data, signature.len) : NULL;
	objects[2] = objects[1] != NULL ? options_dict(options) : NULL;
	objects[3] = objects[2] != NULL ? columns_dict(columns, column_count) : NULL;
	objects[4] = objects[3] != NULL ? pymc_text_to_python(table_name, strlen(table_name)) : NULL;
	objects[5] = objects[4] != NULL ? pymc_text_to_python(server_name, strlen(server_name)) : NULL;
	objects[6] = objects[5] != NULL ? PyList_New(0) : NULL;
	if (objects[6] == NULL)
		fail_python(objects, 7);
	foreach(cell, server_option_names)
	{
		PyObject *name = PyUnicode_FromString((const char *) lfirst(cell));

		if (name == NULL || PyList_Append(objects[6], name) < 0)
		{
			Py_XDECREF(name);
			fail_python(objects, 7);
		}
		Py_DECREF(name);
	}
	result = PyObject_CallMethodObjArgs(module, pymc_name("functions_for"), objects[0], objects[1], objects[2],
										objects[3], objects[4], objects[5], objects[6], NULL);
	for (i = 0; i < 7; i++)
		Py_DECREF(objects[i]);
	if (result == NULL)
		pymc_report_python_error(ERROR);

	Py_XDECREF(resolved.functions);
	resolved.functions = result;
	if (resolved.setting != NULL)
		pfree(resolved.setting);
	if (resolved.search_path != NULL)
		pfree(resolved.search_path);
	if (resolved.relname != NULL)
		pfree(resolved.relname);
	resolved.setting = MemoryContextStrdup(TopMemoryContext, setting);
	resolved.search_path = MemoryContextStrdup(TopMemoryContext, namespace_search_path);
	resolved.relname = MemoryContextStrdup(TopMemoryContext, get_rel_name(relid));
	resolved.userid = userid;
	resolved.relid = relid;
	resolved.allowed = 0;
	resolved.valid = true;
}

static void
check_privilege(PymcAccess access)
{
	AclMode modes = access == PYMC_READ ? ACL_SELECT : access == PYMC_WRITE ? (ACL_INSERT | ACL_UPDATE) : ACL_DELETE;
	AclMode granted = pg_class_aclmask(resolved.relid, resolved.userid, modes, ACLMASK_ALL);

	if (granted != modes)
		aclcheck_error(ACLCHECK_NO_PRIV, OBJECT_FOREIGN_TABLE, resolved.relname);
	resolved.allowed |= 1 << access;
}

/*
 * The pymcache_fdw.functions object (CacheFunctions) of the default table, after checking the current user's
 * privilege for `access`; borrowed, valid until the next call.
 */
PyObject *
pymc_default_table(PymcAccess access)
{
	const char *setting = default_table_setting != NULL ? default_table_setting : "";
	Oid			userid = GetUserId();

	if (!resolved.valid || resolved.userid != userid || strcmp(resolved.setting, setting) != 0 ||
		strcmp(resolved.search_path, namespace_search_path) != 0)
	{
		resolved.valid = false;
		rebuild(setting, userid);
	}
	if ((resolved.allowed & (1 << access)) == 0)
		check_privilege(access);
	return resolved.functions;
}
