// hnswlib_driver.cpp - hnswlib's own headers (Debian libhnswlib-dev)
// compiled for this CPU (-O3 -march=native -fopenmp) by ann.sh into
// build/bench: what `pip install hnswlib` users get. Same output lines as
// ann_peer.py.
//
//   hnswlib_driver BASE.npy QUERY.npy TRUTH.npy l2|ip THREADS M EFC [--search]
#include <hnswlib/hnswlib.h>

#include <omp.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <string>
#include <vector>

// Minimal .npy reader for the files vecgen.py writes (C order, '<f4'/'<i4').
static std::vector<char> load_npy(const char *path, size_t &rows, size_t &cols)
{
	std::ifstream f(path, std::ios::binary);
	std::vector<char> all((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
	if (all.size() < 10) {
		fprintf(stderr, "%s: bad npy\n", path);
		exit(3);
	}
	size_t hl = (unsigned char)all[8] | (size_t)(unsigned char)all[9] << 8;
	std::string h(all.begin() + 10, all.begin() + 10 + hl);
	size_t p = h.find("'shape': (");
	rows = strtoull(h.c_str() + p + 10, nullptr, 10);
	p = h.find(',', p);
	cols = strtoull(h.c_str() + p + 1, nullptr, 10);
	return std::vector<char>(all.begin() + 10 + hl, all.end());
}

int main(int argc, char **argv)
{
	if (argc < 8) {
		fprintf(stderr, "usage: hnswlib_driver BASE QUERY TRUTH l2|ip THREADS M EFC [--search]\n");
		return 2;
	}
	size_t n, d, nq, dq, nt, kt;
	std::vector<char> xb = load_npy(argv[1], n, d), qb = load_npy(argv[2], nq, dq),
			  tb = load_npy(argv[3], nt, kt);
	const float *x = (const float *)xb.data(), *q = (const float *)qb.data();
	const int *t = (const int *)tb.data();
	bool ip = !strcmp(argv[4], "ip");
	int threads = atoi(argv[5]), M = atoi(argv[6]), efc = atoi(argv[7]);
	bool search = argc > 8 && !strcmp(argv[8], "--search");
	hnswlib::L2Space l2(d);
	hnswlib::InnerProductSpace ips(d);
	hnswlib::SpaceInterface<float> *space = ip ? (hnswlib::SpaceInterface<float> *)&ips : &l2;
	// the level generator's seed: ANN_SEED (ann.sh's recall-over-seeds runs), else hnswlib's 100
	const char *seed_env = getenv("ANN_SEED");
	size_t seed = seed_env && *seed_env ? strtoull(seed_env, nullptr, 10) : 100;
	auto *h = new hnswlib::HierarchicalNSW<float>(space, n, M, efc, seed);

	auto t0 = std::chrono::steady_clock::now();
	h->addPoint(x, 0);
	omp_set_num_threads(threads);
#pragma omp parallel for schedule(dynamic, 16)
	for (long i = 1; i < (long)n; i++)
		h->addPoint(x + (size_t)i * d, (size_t)i);
	double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("build_s %.4f\npeak_rss_kb %ld\n", dt, ru.ru_maxrss);
	if (search) {
		const size_t k = 10;
		const char *qr = getenv("ANN_QREPS");
		int reps = qr && atoi(qr) > 0 ? atoi(qr) : 3;
		for (int ef : { 16, 32, 64, 128, 256 }) {
			h->setEf(ef);
			size_t hits = 0;
			std::vector<std::vector<size_t>> res(nq);
			std::vector<double> times;
			for (int rep = 0; rep < reps; rep++) {
				for (auto &v : res)
					v.clear();
				auto s0 = std::chrono::steady_clock::now();
				for (size_t i = 0; i < nq; i++) {
					auto r = h->searchKnn(q + i * d, k);
					while (!r.empty()) {
						res[i].push_back(r.top().second);
						r.pop();
					}
				}
				times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - s0).count());
			}
			std::sort(times.begin(), times.end());
			double s = times[times.size() / 2];
			for (size_t i = 0; i < nq; i++) {
				std::set<size_t> tr(t + i * kt, t + i * kt + k);
				for (size_t id : res[i])
					hits += tr.count(id);
			}
			printf("ef %d recall %.4f qps %.0f\n", ef, (double)hits / (double)(k * nq), nq / s);
		}
	}
	delete h;
	return 0;
}
