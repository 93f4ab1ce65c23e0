/*
 * Options: the validator and the merged options a wrapper is built with (multicorn2 3.x, src/multicorn.c and
 * src/python.c there).
 *
 * - the validator refuses `wrapper` on a foreign table and requires it on the server, importing the class
 *   at CREATE/ALTER SERVER so a missing module or class fails early;
 * - the options a wrapper receives are the table's, then the server's, then the user mapping's (the current
 *   user's, else PUBLIC's), merged into one dict in that order (a later one wins); the instance cache
 *   (instances.c) drops `wrapper` from them.
 */
#include "host.h"

#include "access/reloptions.h"
#include "catalog/pg_foreign_server.h"
#include "catalog/pg_foreign_table.h"
#include "catalog/pg_user_mapping.h"
#include "commands/defrem.h"
#include "foreign/foreign.h"
#include "miscadmin.h"
#include "utils/syscache.h"

PG_FUNCTION_INFO_V1(multicorn_validator);

Datum
multicorn_validator(PG_FUNCTION_ARGS)
{
	List	 *options = untransformRelOptions(PG_GETARG_DATUM(0));
	Oid		  catalog = PG_GETARG_OID(1);
	char	 *class_name = NULL;
	ListCell *lc;

	foreach(lc, options)
	{
		DefElem *def = (DefElem *) lfirst(lc);

		if (strcmp(def->defname, "wrapper") != 0)
			continue;
		/* Only the server may name the class (a table owner must not pick code to run). */
		if (catalog == ForeignTableRelationId)
			ereport(ERROR, (errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
							errmsg("Cannot set the wrapper class on the table"), errhint("Set it on the server")));
		class_name = defGetString(def);
	}
	if (catalog == ForeignServerRelationId)
	{
		PyObject *wrapper_class;

		if (class_name == NULL)
			ereport(ERROR, (errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
							errmsg("The wrapper parameter is mandatory, specify a valid class name")));
		wrapper_class = host_get_class(class_name);
		Py_DECREF(wrapper_class);
	}
	PG_RETURN_VOID();
}

/* The user mapping's options for (current user or PUBLIC, server); NIL when there is none. */
List *
host_user_mapping_options(Oid serverid)
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

/* The table's, the server's and the user mapping's options, in that order (a later one wins). */
List *
host_merged_options(Oid ftid)
{
	ForeignTable  *table = GetForeignTable(ftid);
	ForeignServer *server = GetForeignServer(table->serverid);
	List		  *options = NIL;

	options = list_concat(options, table->options);
	options = list_concat(options, server->options);
	options = list_concat(options, host_user_mapping_options(table->serverid));
	return options;
}
