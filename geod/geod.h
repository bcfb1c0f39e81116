/* geod.h - the subcommands of the geod binary. Each takes the arguments after its name and
 * returns the process exit status. */
#ifndef GEOD_GEOD_H
#define GEOD_GEOD_H

int geod_serve(int argc, char **argv);
int geod_import(int argc, char **argv);
int geod_user(int argc, char **argv);

#endif
