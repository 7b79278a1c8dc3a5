// The application entry point.
#pragma once

// Every application defines it. The kernel runs it as the thread "main" on
// CPU 0 once the units are up; argv holds the words of the command line
// (argv[0] is the application's name, argv[argc] is null). Its return value
// stops the machine with that exit status, as returning from main() ends a
// process.
int toro_main(int argc, char** argv);
