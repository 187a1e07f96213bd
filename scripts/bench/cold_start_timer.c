/*
 * Cold-start timer for scripts/bench/cold-start.sh: runs a program RUNS times and, for each run, prints the wall time
 * (CLOCK_MONOTONIC, microseconds) from just before posix_spawn to the arrival of the first complete line on the child's
 * stdout, and to the child's exit. The parent does nothing but wait on the pipe, so the first number is what a
 * supervisor starting the process would see: exec, dynamic loading, runtime start-up, the program's work up to its
 * first output, and the pipe write. Output: CSV "run,first_line_us,exit_us,first_line" (the line's text, for checking).
 *
 * Usage: cold_start_timer RUNS PROGRAM [ARGS...]
 */
#define _GNU_SOURCE
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

int main(int argc, char **argv) {
  if (argc < 3) { fprintf(stderr, "usage: %s RUNS PROGRAM [ARGS...]\n", argv[0]); return 2; }
  int runs = atoi(argv[1]);
  printf("run,first_line_us,exit_us,first_line\n");
  for (int r = 1; r <= runs; r++) {
    int fds[2];
    if (pipe(fds) != 0) { perror("pipe"); return 1; }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, fds[0]);
    posix_spawn_file_actions_addclose(&actions, fds[1]);
    pid_t pid;
    double start = now_us();
    if (posix_spawn(&pid, argv[2], &actions, NULL, argv + 2, environ) != 0) { perror("posix_spawn"); return 1; }
    close(fds[1]);
    char line[256];
    size_t used = 0;
    double first = -1;
    char buffer[4096];
    ssize_t n;
    while ((n = read(fds[0], buffer, sizeof buffer)) > 0) {
      for (ssize_t i = 0; i < n && first < 0; i++) {
        if (buffer[i] == '\n') { first = now_us(); break; }
        if (used < sizeof line - 1) line[used++] = buffer[i];
      }
    }
    close(fds[0]);
    int status;
    waitpid(pid, &status, 0);
    double end = now_us();
    posix_spawn_file_actions_destroy(&actions);
    line[used] = 0;
    if (first < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      fprintf(stderr, "run %d: no output line or a failed exit (status %d)\n", r, status);
      return 1;
    }
    printf("%d,%.0f,%.0f,%s\n", r, first - start, end - start, line);
  }
  return 0;
}
