/* Thread-sanitizer builds only. librdkafka (Debian's, not instrumented) uses C11 threads; glibc
 * implements thrd_create, mtx_lock, cnd_wait... by calling its pthread functions internally,
 * past TSan's interceptors, so TSan would neither know librdkafka's threads (it crashes in them)
 * nor see its locks (it would report races that are not there). Defined in the executable, these
 * take precedence over glibc's and go through the intercepted pthread functions. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <threads.h>

struct start { thrd_start_t function; void* argument; };

static void* run(void* opaque) {
    struct start s = *(struct start*)opaque;
    free(opaque);
    return (void*)(intptr_t)s.function(s.argument);
}

static int result(int pthread_error) {
    if (pthread_error == 0) return thrd_success;
    if (pthread_error == ETIMEDOUT) return thrd_timedout;
    if (pthread_error == EBUSY) return thrd_busy;
    if (pthread_error == ENOMEM) return thrd_nomem;
    return thrd_error;
}

int thrd_create(thrd_t* thread, thrd_start_t function, void* argument) {
    struct start* s = malloc(sizeof *s);
    if (s == NULL) return thrd_nomem;
    s->function = function;
    s->argument = argument;
    const int error = pthread_create(thread, NULL, run, s);
    if (error != 0) free(s);
    return result(error);
}

int thrd_join(thrd_t thread, int* exit_code) {
    void* value = NULL;
    const int error = pthread_join(thread, &value);
    if (error == 0 && exit_code != NULL) *exit_code = (int)(intptr_t)value;
    return result(error);
}

int thrd_detach(thrd_t thread) { return result(pthread_detach(thread)); }

int mtx_init(mtx_t* mutex, int type) {
    pthread_mutexattr_t attributes;
    pthread_mutexattr_init(&attributes);
    if (type & mtx_recursive) pthread_mutexattr_settype(&attributes, PTHREAD_MUTEX_RECURSIVE);
    const int error = pthread_mutex_init((pthread_mutex_t*)mutex, &attributes);
    pthread_mutexattr_destroy(&attributes);
    return result(error);
}
int mtx_lock(mtx_t* mutex) { return result(pthread_mutex_lock((pthread_mutex_t*)mutex)); }
int mtx_trylock(mtx_t* mutex) { return result(pthread_mutex_trylock((pthread_mutex_t*)mutex)); }
int mtx_timedlock(mtx_t* restrict mutex, const struct timespec* restrict until) {
    return result(pthread_mutex_timedlock((pthread_mutex_t*)mutex, until));
}
int mtx_unlock(mtx_t* mutex) { return result(pthread_mutex_unlock((pthread_mutex_t*)mutex)); }
void mtx_destroy(mtx_t* mutex) { pthread_mutex_destroy((pthread_mutex_t*)mutex); }

int cnd_init(cnd_t* condition) { return result(pthread_cond_init((pthread_cond_t*)condition, NULL)); }
int cnd_signal(cnd_t* condition) { return result(pthread_cond_signal((pthread_cond_t*)condition)); }
int cnd_broadcast(cnd_t* condition) { return result(pthread_cond_broadcast((pthread_cond_t*)condition)); }
int cnd_wait(cnd_t* condition, mtx_t* mutex) {
    return result(pthread_cond_wait((pthread_cond_t*)condition, (pthread_mutex_t*)mutex));
}
int cnd_timedwait(cnd_t* restrict condition, mtx_t* restrict mutex, const struct timespec* restrict until) {
    return result(pthread_cond_timedwait((pthread_cond_t*)condition, (pthread_mutex_t*)mutex, until));
}
void cnd_destroy(cnd_t* condition) { pthread_cond_destroy((pthread_cond_t*)condition); }
