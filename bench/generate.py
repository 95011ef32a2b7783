"""Generate realistic, seeded paper records in kg's JSON Lines format (schema/records.schema.json).

    python bench/generate.py --papers 1000 --seed 42 --output bench/.cache/records-1000-seed42.jsonl

The same arguments always give the same bytes (one ``random.Random(seed)`` and seeds drawn from it,
no clock, no hash randomisation). What the records look like:

- ``--papers`` counts paper lines. About 10% of the works appear twice: as a ``preprint`` on arXiv
  (venue_kind ``preprint-server``) and, a year later, as a ``Conference Paper`` or ``Journal
  Article`` with the same title and authors; the rest appear once.
- An author pool of about papers/3 people, each name unique once accents and case are folded: a
  first name, for a third of them or more a middle initial ("Léon J. Bottou"), and a last name, a
  few with a particle ("van der Maaten"). The lists spell about 4.8 million people and the pool may
  take half of them: sizes up to about 7 million papers. Papers per author follow a
  Zipf-Mandelbrot rank law (a few prolific authors, a long tail; some of the pool never appear);
  papers have 1 to 8 authors with P(k) proportional to 1/k. About a quarter of the mentions of an
  accented name drop the accents ("Léon Bottou" written "Leon Bottou"), as many sources do.
- About 15% of the authors who appear also get a ``person`` line with an ORCID.
- Venues of every kind (conference, journal, preprint-server, workshop), each name always with
  the same kind; a few papers give no venue.
- Titles from word lists, about 12% opening with a made-up system name ("KAVIRO: ..."), unique
  across works once folded (a distinguishing word or number is appended on a clash); abstracts of
  80 to 200 words (30% of published versions revise the preprint's abstract by a sentence); years
  1990 to 2026, more recent ones likelier; DOIs ``10.5555/...`` and arXiv identifiers on some
  papers.

Memory stays bounded: the paper lines are planned without their abstracts (a few hundred bytes
each), shuffled, then rendered and written one at a time, each abstract drawn from its work's own
seed. A million papers (1.3 GB) take about a minute of CPU time and 700 MB of memory.

Nothing here imports kg: the output must not change when kg does.
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import json
import math
import random
import re
import sys
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from tqdm import tqdm

FIRST_NAMES = (
    "Léon Yann Jianyu Rachel Xiaoxia Alexandre Frédéric Jürgen Sören Zoë Chloé Renée François José María Raúl "
    "Ángel Søren Åsa Björn Jörg Gaël Hélène Émilie Cécile Noémie Inès Mónica Sérgio João Tomás Íñigo Dóra "
    "Ilya Geoffrey Yoshua Samy Corinna Vladimir Bernhard Klaus-Robert Ulrike Anna Maria Paolo Giulia Marco "
    "Wei Li Jing Hao Yu Min-Jun Seo-yeon Hiroshi Yuki Aiko Ravi Priya Anil Deepa Fatima Omar Leila Karim "
    "Olga Dmitri Natalia Ivan Katarzyna Piotr Tereza Jiří Zoltán Ádám Réka Mehmet Ayşe Emre Çağlar Nguyễn "
    "Thảo Minh Kwame Amara Chidi Ngozi Lucía Andrés Sofía Martín Valentina Mateo Camila Diego Elena Pablo "
    "Thomas Sarah David Laura Michael Emma Daniel Julia James Nora Peter Ingrid Lars Sigrún Þóra Henrik "
    "Mathilde Benoît Agnès Jérôme Stéphane Gérard Thérèse André Loïc Maëlle Anaïs Clément Solène Timothée "
    "Agnieszka Małgorzata Łukasz Paweł Michał Wojciech Zuzana Lenka Ondřej Tomáš Lukáš Vojtěch Bálint Gergely "
    "Eszter Levente István Ágnes Mihai Ioana Andrei Ștefan Răzvan Åke Ørjan Kjersti Sindre Ásgeir Guðrún "
    "Halldór Märta Göran Eirik Ragnhild Jóhanna Günter Uwe Dörte Matthias Stefanie Tobias Katharina Wolfgang "
    "Käthe Bärbel Hans-Jörg Aurélien Guillaume Mélanie Sébastien Valérie Hervé Aurélie Bérénice Joël Maxime "
    "Étienne Océane Raphaël Gaëtan Amélie Séverine Héloïse Begoña Jesús Ramón Adrián Nicolás Joaquín "
    "Verónica Rocío Concepción Beatriz Gonçalo Luís Fábio Márcio Vitória Álvaro Julián Sebastián Niccolò "
    "Lucrezia Federico Chiara Alessandro Francesca Matteo Lorenzo Ilaria Andrea Simone Gökhan Özge Büşra "
    "Tuğba Oğuz Şule Barış İlker Phương Hương Dũng Tuấn Quỳnh Hiếu Thắng Xin Yan Fei Lei Qiang Jun Ying "
    "Ming Tao Chao Bo Kai Xue Rui Zhen Yi Hui Ling Peng Takeshi Kenji Haruka Sakura Ryō Shōta Yūto Daisuke "
    "Naoko Kōji Akira Ji-woo Hyun-woo Soo-jin Dong-hyun Eun-ji Jae-won Sung-min Ha-eun Arjun Sanjay Kavya "
    "Ananya Vikram Meera Rohan Aditi Suresh Lakshmi Nikhil Shreya Rahul Venkat Harini Ahmed Youssef Mariam "
    "Hassan Nour Reza Zahra Farid Amir Yasmin Mahmoud Layla Hamid Parisa Oluwaseun Chinedu Adaeze Kofi Abena "
    "Tendai Thandiwe Sipho Lerato Wanjiru Babajide Yaw Nia John Mary Robert Jennifer William Linda Richard "
    "Elizabeth Joseph Susan Charles Jessica Christopher Karen Matthew Lisa Andrew Nancy Joshua Emily Kevin "
    "Rebecca Brian Hannah Steven Ryan Megan Sergei Alexei Tatiana Yulia Mikhail Andriy Oksana Nikolai "
    "Ekaterina Pavel Irina Svetlana Georgios Dimitris Eleni Konstantinos Ioannis Yael Noam Itai Shira Tamar"
).split()
LAST_NAMES = (
    "Bottou LeCun Zhang Ward Wu Défossez Müller Schölkopf Sonnenburg García Núñez Gómez Sánchez Lefèvre Dvořák "
    "Šimánek Öztürk Çelik Håkansson Ørsted Jäger Größer Rodríguez Martínez Pérez Hernández López González Díaz "
    "Fernández Álvarez Muñoz Jiménez Ruiz Peña Cortés Ibáñez Lévy Béranger Mérel Gagné Côté Bélanger Thériault "
    "Dupré Chevalier Moreau Girard Fournier Bengio Hinton Sutskever Vapnik Cortes Smola Williams Rasmussen "
    "Bishop Jordan Ng Koller Schmidhuber Hochreiter Graves Mikolov Chen Wang Liu Yang Huang Zhao Zhou Xu Sun "
    "Ma Zhu Hu Guo Lin Kim Park Lee Choi Jung Tanaka Suzuki Takahashi Watanabe Itō Sato Nakamura Kobayashi "
    "Kumar Sharma Singh Patel Gupta Iyer Reddy Nair Rao Das Haddad Khalil Nasser Mansour Ivanov Petrov "
    "Smirnova Kuznetsov Popov Nowak Kowalski Wiśniewski Wójcik Novák Horváth Nagy Szabó Tóth Kovács Yılmaz "
    "Kaya Demir Şahin Doğan Trần Lê Phạm Hoàng Phan Vũ Đặng Bùi Mensah Okafor Adeyemi Nwosu Silva Santos "
    "Oliveira Souza Pereira Lima Carvalho Gonçalves Ferreira Conceição Rossi Russo Ferrari Esposito Bianchi "
    "Romano Colombo Ricci Marino Bruno Johansson Andersson Karlsson Nilsson Eriksson Larsen Sørensen Jensen "
    "Nielsen Hansen Björnsson Þórsdóttir Smith Johnson Brown Taylor Anderson Thomas Moore Martin Thompson "
    "White Harris Clark Lewis Robinson Walker Young Allen King Wright Scott Green Baker Adams Nelson Hill "
    "Lewandowski Kamiński Kowalczyk Zieliński Szymański Woźniak Dąbrowski Kozłowski Jankowski Mazur Krawczyk "
    "Grabowski Pawłowski Michalski Król Wieczorek Jabłoński Wróbel Svoboda Novotný Černý Procházka Kučera "
    "Veselý Horák Němec Pokorný Pospíšil Hájek Jelínek Růžička Beneš Fiala Sedláček Doležal Zeman Varga Kiss "
    "Molnár Németh Farkas Balogh Papp Takács Juhász Lakatos Mészáros Rácz Fekete Popescu Ionescu Dumitrescu "
    "Stoica Munteanu Ștefănescu Georgescu Lindqvist Bergström Lindström Sjöberg Åberg Holmgren Nyström "
    "Ødegaard Haugen Bakke Kristiansen Solberg Halvorsen Jónsson Guðmundsson Sigurðsson Virtanen Mäkinen "
    "Nieminen Hämäläinen Koskinen Järvinen Lehtonen Schmidt Schneider Fischer Weber Meyer Wagner Becker "
    "Schulz Hoffmann Schäfer Koch Bauer Richter Klein Wolf Schröder Neumann Schwarz Zimmermann Braun Krüger "
    "Hartmann Lange Köhler Möller Günther Böhm Weiß Bernard Dubois Petit Durand Leroy Morel Laurent Michel "
    "Bertrand Roux Vincent Fontaine Rousseau Blanc Guérin Boyer Gauthier Rivière Mercier Faure Rémy Brunet "
    "Lemaire Lefebvre Lacroix Hébert Ménard Pelletier Caron Poirier Bouchard Tremblay Gagnon Roy Torres "
    "Ramírez Flores Rivera Vargas Castro Ortiz Morales Romero Herrera Medina Aguilar Vázquez Castillo Ramos "
    "Mendoza Guerrero Rojas Delgado Navarro Domínguez Cabrera Márquez Iglesias Cruz Calderón Ríos Solís "
    "Araújo Magalhães Barbosa Rocha Ribeiro Almeida Costa Nascimento Mendes Fonseca Brandão Simões Greco "
    "Gallo Conti Mancini Giordano Rizzo Lombardi Moretti Barbieri Fontana Santoro Rinaldi Caruso Ferrara "
    "Leone Gentile Martinelli Vitale Serra Coppola Pellegrino Benedetti Cattaneo D'Angelo Aydın Özdemir "
    "Arslan Koç Özkan Şimşek Polat Korkmaz Çakır Yıldız Aksoy Güneş Ünal Kılıç Gao Luo Zheng Liang Xie Song "
    "Tang Han Feng Deng Cao Peng Zeng Xiao Tian Dong Pan Yuan Cai Jiang Su Lü Ding Ren Shen Yao Fu Zhong "
    "Qian Dai Xia Tan Fang Shi Yin Hou Kong Meng Qin Bai Yamamoto Yoshida Yamada Sasaki Yamaguchi Matsumoto "
    "Inoue Kimura Hayashi Shimizu Mori Ikeda Hashimoto Ishikawa Ogawa Fujita Okada Gotō Hasegawa Murakami "
    "Kondō Saitō Sakamoto Endō Aoki Nishimura Fukuda Ōta Kang Cho Yoon Jang Lim Oh Seo Shin Kwon Hwang Ahn "
    "Yoo Hong Jeon Moon Bae Baek Mehta Joshi Desai Chatterjee Banerjee Mukherjee Bose Ghosh Sen Chakraborty "
    "Agarwal Verma Mishra Pandey Yadav Kapoor Malhotra Bhatt Menon Pillai Krishnan Subramanian Srinivasan "
    "Saxena Srivastava Bhattacharya Ahmadi Hosseini Rezaei Moradi Karimi Mohammadi Rahimi Benali Bouzid Saleh "
    "Aziz Farouk Qureshi Siddiqui Hussain Malik Cohen Levi Mizrahi Friedman Katz Shapiro Goldberg Rosenberg "
    "Okonkwo Eze Balogun Adebayo Owusu Boateng Asante Ndlovu Dlamini Khumalo Mokoena Nkosi Mwangi Otieno "
    "Diallo Traoré Keïta Coulibaly Touré Diop Ndiaye Papadopoulos Georgiou Nikolaidis Papageorgiou "
    "Christodoulou Volkov Sokolov Lebedev Kozlov Novikov Morozov Pavlov Fedorov Orlov Zaitsev Vasiliev "
    "Huỳnh Võ Đỗ Hồ Ngô Dương Lý Đinh Trương Miller Davis Wilson Jackson Hall Campbell Mitchell Carter "
    "Roberts Turner Phillips Evans Collins Stewart Morris Murphy Cook Rogers Morgan Cooper Reed Bailey Bell "
    "Kelly Howard Cox Richardson Wood Watson Brooks Bennett Gray Hughes Price Sanders Myers Ross Foster "
    "Powell Jenkins Perry Russell Sullivan Fisher Ellis Hamilton Graham Wallace Stone Marshall Murray "
    "O'Brien O'Connor MacDonald McCarthy Fitzgerald"
).split() + (
    "van der Maaten|de Vries|van den Oord|van Gool|de Freitas|da Silva|dos Santos|De Bie|von Luxburg|"
    "di Stefano|De Luca|van der Schaar|ter Braak|Le Roux|de la Torre|del Río"
).split("|")
ADJECTIVES = (
    "Adaptive Bayesian Robust Sparse Scalable Efficient Stochastic Deep Shallow Convex Nonconvex Distributed "
    "Federated Causal Contrastive Generative Discriminative Probabilistic Differentiable Implicit Explicit "
    "Hierarchical Recurrent Convolutional Attentive Modular Compositional Invariant Equivariant Provable "
    "Online Offline Incremental Continual Structured Unsupervised Semi-Supervised Self-Supervised Multimodal "
    "Multilingual Low-Rank Quantized Private Fair Interpretable Certified Asynchronous Parallel Greedy Optimal "
    "Sample-Efficient Data-Efficient Lightweight Hybrid Nonparametric Variational Spectral Geometric "
    "Topological Symbolic Neuro-Symbolic Kernelized Randomized Accelerated Decentralized Personalized Secure "
    "Verifiable Energy-Efficient Memory-Efficient Communication-Efficient Zero-Shot Cross-Lingual Cross-Modal "
    "Long-Range Dynamic Latent Discrete Continuous Gaussian Nonlinear Linear Graph-Based Regularized Unbiased "
    "Consistent Adversarial Transferable Scale-Invariant Hyperbolic Riemannian Lipschitz Tractable Approximate "
    "Amortized Conditional Masked Autoregressive Non-Autoregressive Context-Aware Uncertainty-Aware "
    "Physics-Informed Retrieval-Augmented Instruction-Tuned"
).split()
NOUNS = (
    "Learning Inference Optimization Gradients Networks Transformers Embeddings Representations Kernels Models "
    "Estimators Bounds Regularization Attention Memory Retrieval Planning Control Exploration Policies Rewards "
    "Graphs Manifolds Features Priors Posteriors Ensembles Distillation Pruning Compression Alignment Reasoning "
    "Generalization Robustness Calibration Uncertainty Clustering Ranking Translation Parsing Segmentation "
    "Detection Tracking Forecasting Imputation Sampling Diffusion Flows Autoencoders Mixtures Mosaics Stepsizes "
    "Classifiers Solvers Objectives Losses Metrics Benchmarks Pipelines Architectures Encoders Decoders "
    "Tokenizers Adapters Prompts Agents Simulators Surrogates Operators Dynamics Trajectories Heuristics "
    "Schedules Curricula Augmentations Perturbations Attacks Defenses Certificates Explanations Attributions "
    "Programs Proofs Constraints Invariants Symmetries Hashing Sketches Coresets Quantization Factorization "
    "Interpolation Smoothing Denoising Reconstruction Synthesis Matching Transport"
).split()
DOMAINS = (
    "Language Modeling|Image Classification|Speech Recognition|Protein Folding|Recommender Systems|Time Series|"
    "Reinforcement Learning|Computer Vision|Machine Translation|Question Answering|Medical Imaging|Robotics|"
    "Large-Scale Optimization|Tabular Data|Graph Mining|Anomaly Detection|Weather Prediction|Code Generation|"
    "Molecular Design|Autonomous Driving|Information Extraction|Neural Architecture Search|Active Learning|"
    "Few-Shot Learning|Domain Adaptation|Causal Discovery|Matrix Completion|Topic Modeling|Sentiment Analysis|"
    "Drug Discovery|Materials Science|Climate Modeling|Genomics|Single-Cell Analysis|Legal Text|Clinical Notes|"
    "Financial Forecasting|Fraud Detection|Social Networks|Knowledge Graphs|Scientific Literature|"
    "Program Synthesis|Theorem Proving|Music Generation|Video Understanding|3D Reconstruction|Point Clouds|"
    "Remote Sensing|Edge Devices|Search Engines|Dialogue Systems|Summarization|Named Entity Recognition|"
    "Low-Resource Languages|Sign Language|Education|Agriculture|Energy Systems|Traffic Prediction|Epidemiology|"
    "Astronomy|Particle Physics|Computational Biology"
).split("|")
# Every template has at least ~600,000 fillings, so a million works rarely need a suffix.
TITLE_TEMPLATES = (
    "{adj} {noun} for {domain}",
    "On the {noun} of {adj} {noun2}",
    "Towards {adj} {noun} in {domain}",
    "{noun} and {noun2}: {adj} Methods for {domain}",
    "{adj} {noun} with {adj2} {noun2}",
    "A {adj} Approach to {noun} in {domain}",
    "Revisiting {adj} {noun} for {domain}",
    "When Do {adj} {noun} Help {domain}?",
    "{adj} {noun} for {domain} at Scale",
    "Learning {adj} {noun2} from {adj2} {noun}",
    "$k$-{adj} {noun} for {domain}",
)
# Some titles open with a made-up system name ("KAVIRO: Sparse Kernels for Robotics").
ACRONYM_SHARE = 0.12
ACRONYM_SYLLABLES = "BA BE BI BO DA DE DI DO FA FE GA GO KA KE KI KO LA LE LI LO MA ME MI MO NA NE NI NO PA PE PI PO " \
    "RA RE RI RO SA SE SI SO TA TE TI TO VA VE VI VO ZA ZE ZO".split()
TITLE_SUFFIXES = "Revisited|Reloaded|in Practice|Made Simple|Beyond Benchmarks|at Any Scale|Without Labels".split("|")
ABSTRACT_WORDS = (
    "we propose a novel method that improves the state of the art on several benchmarks while reducing the "
    "computational cost our analysis shows that the approach converges under mild assumptions and we provide "
    "theoretical guarantees experiments on synthetic and real data confirm the effectiveness of the proposed "
    "framework compared with strong baselines furthermore we study the trade-off between accuracy and efficiency "
    "and discuss limitations of existing techniques the results suggest that simple models can match complex "
    "architectures when trained with appropriate regularization data augmentation and careful tuning of "
    "hyperparameters code and pretrained models are publicly available to facilitate reproducibility"
).split()

# (name, venue_kind, type_label). A name always has the same kind: kg types each venue once.
CONFERENCES = ("NeurIPS", "ICML", "ICLR", "COLT", "AISTATS", "UAI", "AAAI", "IJCAI", "CVPR", "ICCV", "ECCV",
               "ACL", "EMNLP", "NAACL", "KDD", "WWW", "SIGIR", "Interspeech", "CoRL", "CAp (Conférence sur "
               "l'Apprentissage automatique)")
JOURNALS = ("Journal of Machine Learning Research", "Machine Learning", "Neural Computation",
            "IEEE Transactions on Pattern Analysis and Machine Intelligence", "Artificial Intelligence",
            "Transactions on Machine Learning Research", "Journal of Artificial Intelligence Research",
            "Neural Networks", "Pattern Recognition", "Nature Machine Intelligence", "Statistics and Computing",
            "Revue d'Intelligence Artificielle")
PREPRINT_SERVERS = ("arXiv", "HAL", "OpenReview Archive", "SSRN")
WORKSHOPS = ("NeurIPS Workshop on Optimization for Machine Learning", "ICML Workshop on Uncertainty and "
             "Robustness", "ICLR Workshop on Representation Learning on Graphs", "CVPR Workshop on Fairness",
             "Workshop on Théorie de l'Apprentissage", "EMNLP Workshop on Multilingual Representation Learning",
             "KDD Workshop on Mining and Learning with Graphs", "BayesComp Satellite Workshop")
KIND_LABELS = {"conference": "Conference Paper", "journal": "Journal Article", "preprint-server": "preprint",
               "workshop": "Workshop Paper"}
# Share of single-appearance papers per venue kind (the rest of the mass is the duplicate pairs).
KIND_WEIGHTS = {"conference": 0.42, "journal": 0.26, "preprint-server": 0.18, "workshop": 0.14}
VENUES_BY_KIND = {"conference": CONFERENCES, "journal": JOURNALS, "preprint-server": PREPRINT_SERVERS,
                  "workshop": WORKSHOPS}

FIRST_YEAR, LAST_YEAR = 1990, 2026
DUPLICATE_SHARE = 0.10  # share of works that appear twice (preprint, then published)
REVISED_SHARE = 0.30  # share of published versions whose abstract adds a sentence to the preprint's
REVISION = " We also report results on new benchmarks."
UNACCENTED_SHARE = 0.25  # share of mentions of an accented name written without accents
MIDDLE_INITIAL_SHARE = 0.30  # share of people drawn with a middle initial ("Léon J. Bottou")
MIDDLE_INITIALS = "ABCDEFGHJKLMNPRSTVW"
PERSON_RECORD_SHARE = 0.15
NO_VENUE_SHARE = 0.02
DOI_SHARE = 0.45
MAX_AUTHORS = 8
# Papers per author: the author of rank r is drawn with weight 1 / (r + ZIPF_OFFSET) ** ZIPF_AUTHORS
# (Zipf-Mandelbrot). The offset keeps the head plausible in a closed pool: with plain Zipf the top
# author of a 10,000-paper set would sign about 40% of the papers.
ZIPF_AUTHORS = 1.1
ZIPF_OFFSET = 10
ZIPF_TEAM = 1.0  # authors per paper: P(k) proportional to 1 / k ** ZIPF_TEAM, k = 1..8
_NOT_WORD = re.compile(r"[^\w]+|_+")
_ENCODER = json.JSONEncoder(ensure_ascii=False, check_circular=False)  # what json.dumps(..., ensure_ascii=False) does


@dataclass(frozen=True, slots=True)
class Author:
    name: str
    plain: str  # the name without accents (the same string object when it has none)


class Line(NamedTuple):
    """A paper line as planned: everything but the abstract's text, which is drawn from ``abstract_seed``
    when the line is written (abstracts are most of the bytes; a million of them need not sit in memory)."""

    title: str
    authors: tuple[str, ...]  # as spelled on this line
    abstract_seed: int  # both versions of a work share it, so they share the abstract
    revised: bool  # the abstract ends with REVISION
    venue: str | None
    kind: str | None
    year: int
    identifier: tuple[str, str] | None  # (scheme, value): a line has at most one


def fold(text: str) -> str:
    """Drop accents, case-fold, collapse punctuation: how two spellings are told to be one name or title."""
    bare = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    return _NOT_WORD.sub(" ", bare.casefold()).strip()


def strip_accents(text: str) -> str:
    """Return ``text`` without combining marks, recomposed (``Léon`` -> ``Leon``)."""
    bare = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", bare)


def pool_capacity() -> int:
    """How many people the name lists can spell (first x optional middle initial x last), before folding."""
    return len(FIRST_NAMES) * len(LAST_NAMES) * (1 + len(MIDDLE_INITIALS))


def make_author_pool(rng: random.Random, size: int) -> list[Author]:
    """Draw ``size`` people whose names differ once folded (else kg would rightly merge them).

    Each is a first name, for some a middle initial, and a last name; a name drawn twice is drawn again.
    Rejection stays cheap while the pool is well under the capacity: the cap below keeps it so.
    """
    if size > pool_capacity() // 2:
        raise SystemExit(f"the name lists give about {pool_capacity()} distinct people; asked for {size} "
                         "(at most half of that); add names to FIRST_NAMES or LAST_NAMES")
    authors: list[Author] = []
    seen: set[str] = set()
    while len(authors) < size:
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        if rng.random() < MIDDLE_INITIAL_SHARE:
            name = f"{first} {rng.choice(MIDDLE_INITIALS)}. {last}"
        else:
            name = f"{first} {last}"
        key = fold(name)
        if key in seen:
            continue
        seen.add(key)
        plain = strip_accents(name)
        authors.append(Author(name, name if plain == name else plain))
    return authors


def cumulative(weights: list[float]) -> list[float]:
    return list(itertools.accumulate(weights))


def pick_team(rng: random.Random, pool_size: int, author_cdf: list[float], team_cdf: list[float]) -> list[int]:
    """Pick 1-8 distinct pool ranks, each drawn by Zipf weight (rank 0 is the most prolific)."""
    size = bisect.bisect_left(team_cdf, rng.random() * team_cdf[-1]) + 1
    size = min(size, pool_size)
    chosen: dict[int, None] = {}
    while len(chosen) < size:
        chosen.setdefault(bisect.bisect_left(author_cdf, rng.random() * author_cdf[-1]), None)
    return list(chosen)


def spell(rng: random.Random, author: Author) -> str:
    """One mention of an author: sometimes without the accents."""
    if author.plain is not author.name and rng.random() < UNACCENTED_SHARE:
        return author.plain
    return author.name


def make_acronym(rng: random.Random) -> str:
    """A made-up system name of two or three syllables (``KAVIRO``)."""
    return "".join(rng.choices(ACRONYM_SYLLABLES, k=rng.randint(2, 3)))


def make_title(rng: random.Random, seen: set[str]) -> str:
    """A title no other work has (once folded); a clash gets a suffix, then a number."""
    adj, adj2 = rng.sample(ADJECTIVES, 2)
    noun, noun2 = rng.sample(NOUNS, 2)
    title = rng.choice(TITLE_TEMPLATES).format(adj=adj, adj2=adj2, noun=noun, noun2=noun2, domain=rng.choice(DOMAINS))
    if rng.random() < ACRONYM_SHARE:
        title = f"{make_acronym(rng)}: {title}"
    key = fold(title)
    if key in seen:
        title = f"{title} {rng.choice(TITLE_SUFFIXES)}"
        key = fold(title)
    number = 2
    base = title
    while key in seen:
        title = f"{base} {number}"
        key = fold(title)
        number += 1
    seen.add(key)
    return title


def make_abstract(rng: random.Random, title: str) -> str:
    """80 to 193 words in sentences, opening with the title's topic (a revision adds 7)."""
    target = rng.randint(80, 193)  # a revised abstract adds 7 words
    words = [f"This paper studies {title.lower()}."]
    count = len(words[0].split())
    while count < target:
        length = min(rng.randint(8, 22), target - count)
        sentence = " ".join(rng.choices(ABSTRACT_WORDS, k=length))
        words.append(sentence[0].upper() + sentence[1:] + ".")
        count += length
    return " ".join(words)


def draw_year(rng: random.Random, year_cdf: list[float], first: int = FIRST_YEAR, last: int = LAST_YEAR) -> int:
    """A year, more recent ones likelier (the field grows about 8% a year)."""
    while True:
        year = FIRST_YEAR + bisect.bisect_left(year_cdf, rng.random() * year_cdf[-1])
        if first <= year <= last:
            return year


class IdentifierMint:
    """Unique DOIs and arXiv identifiers (two works never share one)."""

    def __init__(self) -> None:
        self.arxiv_counts: dict[tuple[int, int], int] = {}
        self.doi_count = 0

    def doi(self, year: int) -> str:
        self.doi_count += 1
        return f"10.5555/{year}.{self.doi_count:06d}"

    def arxiv(self, rng: random.Random, year: int) -> str:
        month = rng.randint(1, 12)
        number = self.arxiv_counts[(year, month)] = self.arxiv_counts.get((year, month), 0) + 1
        if year < 2007:  # old style: archive/YYMMNNN
            if number > 999:
                raise SystemExit(f"more than 999 arXiv identifiers for {year}-{month:02d}: too many papers")
            return f"cs.LG/{year % 100:02d}{month:02d}{number:03d}"
        digits = 4 if year < 2015 else 5
        if number >= 10 ** digits:
            raise SystemExit(f"more than {10 ** digits - 1} arXiv identifiers for {year}-{month:02d}: too many papers")
        return f"{year % 100:02d}{month:02d}.{number:0{digits}d}"


def make_line(rng, title, authors, abstract_seed, revised, venue, kind, year, identifier) -> Line:
    """One planned paper line; each author spelled for this line."""
    return Line(title, tuple(spell(rng, a) for a in authors), abstract_seed, revised, venue, kind, year, identifier)


def make_single(rng, title, authors, abstract_seed, year, mint: IdentifierMint) -> Line:
    """A paper that appears once, in a venue drawn by kind."""
    if rng.random() < NO_VENUE_SHARE:
        return make_line(rng, title, authors, abstract_seed, False, None, None, year, None)
    kind = rng.choices(list(KIND_WEIGHTS), weights=list(KIND_WEIGHTS.values()))[0]
    venue = rng.choice(VENUES_BY_KIND[kind])
    identifier = None
    if kind == "preprint-server" and venue == "arXiv" and year >= 1991:
        identifier = ("arxiv", mint.arxiv(rng, year))
    elif kind != "preprint-server" and rng.random() < DOI_SHARE:
        identifier = ("doi", mint.doi(year))
    return make_line(rng, title, authors, abstract_seed, False, venue, kind, year, identifier)


def make_pair(rng, title, authors, abstract_seed, year, mint: IdentifierMint) -> list[Line]:
    """The same work twice: an arXiv preprint in ``year``, then published a year later."""
    arxiv = mint.arxiv(rng, year)
    preprint = make_line(rng, title, authors, abstract_seed, False, "arXiv", "preprint-server", year, ("arxiv", arxiv))
    kind = rng.choice(("conference", "journal"))
    revised = rng.random() < REVISED_SHARE
    identifier = ("doi", mint.doi(year + 1)) if rng.random() < 0.8 else None
    published = make_line(rng, title, authors, abstract_seed, revised, rng.choice(VENUES_BY_KIND[kind]), kind,
                          year + 1, identifier)
    return [preprint, published]


def render(line: Line, abstract_rng: random.Random) -> dict:
    """The JSON object of a planned line, keys in the schema's order; optional fields left out when empty."""
    abstract_rng.seed(line.abstract_seed)
    abstract = make_abstract(abstract_rng, line.title)
    record: dict = {"type": "paper", "title": line.title, "authors": list(line.authors),
                    "abstract": abstract + REVISION if line.revised else abstract}
    if line.venue is not None:
        record |= {"venue": line.venue, "venue_kind": line.kind}
    record["year"] = line.year
    if line.venue is not None:
        record["type_label"] = KIND_LABELS[line.kind]
    if line.identifier is not None:
        record["identifiers"] = dict([line.identifier])
    return record


def orcid(rng: random.Random) -> str:
    """A random ORCID iD with a valid ISO 7064 11,2 check digit."""
    digits = [rng.randint(0, 9) for _ in range(15)]
    total = 0
    for digit in digits:
        total = (total + digit) * 2
    check = (12 - total % 11) % 11
    text = "".join(map(str, digits)) + ("X" if check == 10 else str(check))
    return "-".join(text[i:i + 4] for i in range(0, 16, 4))


def make_person_lines(rng: random.Random, mentioned: list[Author]) -> list[dict]:
    """Person lines with an ORCID for some of the authors who appear."""
    people = [a for a in mentioned if rng.random() < PERSON_RECORD_SHARE]
    return [{"type": "person", "name": a.name, "identifiers": {"orcid": orcid(rng)}} for a in people]


def plan_lines(rng: random.Random, papers: int, progress: bool) -> tuple[list[Line], list[Author]]:
    """The ``papers`` paper lines in work order (abstracts not yet written), and the authors who appear."""
    pool = make_author_pool(rng, max(1, papers // 3))
    author_cdf = cumulative([1 / (rank + 1 + ZIPF_OFFSET) ** ZIPF_AUTHORS for rank in range(len(pool))])
    team_cdf = cumulative([1 / size ** ZIPF_TEAM for size in range(1, MAX_AUTHORS + 1)])
    year_cdf = cumulative([math.exp(0.08 * (y - FIRST_YEAR)) for y in range(FIRST_YEAR, LAST_YEAR + 1)])
    mint, titles, lines, mentioned = IdentifierMint(), set(), [], {}
    with tqdm(total=papers, desc="plan", unit="paper", disable=not progress, file=sys.stderr) as bar:
        while len(lines) < papers:
            team = pick_team(rng, len(pool), author_cdf, team_cdf)
            mentioned.update(dict.fromkeys(team))
            authors = [pool[rank] for rank in team]
            title = make_title(rng, titles)
            abstract_seed = rng.getrandbits(64)
            if papers - len(lines) >= 2 and rng.random() < DUPLICATE_SHARE:
                new = make_pair(rng, title, authors, abstract_seed, draw_year(rng, year_cdf, 1991, LAST_YEAR - 1),
                                mint)
            else:
                new = [make_single(rng, title, authors, abstract_seed, draw_year(rng, year_cdf), mint)]
            lines += new
            bar.update(len(new))
    return lines, [pool[rank] for rank in mentioned]


def generate_records(papers: int, seed: int, progress: bool = True) -> Iterator[dict]:
    """All lines of a data set of ``papers`` paper lines: person lines first, then papers shuffled.

    Lines are planned in memory without their abstracts, then rendered one at a time as they are consumed.
    """
    rng = random.Random(seed)
    lines, mentioned = plan_lines(rng, papers, progress)
    rng.shuffle(lines)
    yield from make_person_lines(rng, mentioned)
    abstract_rng = random.Random()
    for line in tqdm(lines, desc="write", unit="paper", disable=not progress, file=sys.stderr):
        yield render(line, abstract_rng)


def write_records(records: Iterable[dict], output: Path) -> Counter[str]:
    """Write one JSON object per line, UTF-8, accents as themselves; atomically. Return the count per type."""
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(f".{output.name}.partial")
    counts: Counter[str] = Counter()
    with open(partial, "w", encoding="utf-8", newline="\n", buffering=1 << 20) as out:
        for record in records:
            out.write(_ENCODER.encode(record) + "\n")
            counts[record["type"]] += 1
    partial.replace(output)
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--papers", type=int, required=True, help="number of paper lines to write (>= 1)")
    parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    parser.add_argument("--output", type=Path, required=True, help="the .jsonl file to write")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    if args.papers < 1:
        parser.error(f"--papers must be at least 1, got {args.papers}")
    counts = write_records(generate_records(args.papers, args.seed, progress=not args.quiet), args.output)
    print(f"wrote {args.output}: {counts['paper']} paper and {counts['person']} person lines", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
