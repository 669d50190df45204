"""Hand-written competition-style math problems for `data_quality.py`, each with its answer.

Written for this benchmark in the style of MATH / AMC / AIME problems (none is copied from a data set):
GOOD problems every step must keep, including Asymptote/TikZ figures, "figure" used as a word, problems
sharing only a template phrase with AIME problems, and pairs that differ only in a number or a
condition; MISSING_FIGURE problems whose picture is gone but whose text still points at it.
"""

from __future__ import annotations

ASY = [  # (problem with an inline drawing, answer); the text refers to the drawing
    (r"In the diagram, $ABCD$ is a square with side length $6$ and $E$ is the midpoint of $\overline{CD}$. "
     r"What is the area of triangle $ABE$?" "\n"
     r"[asy] draw((0,0)--(6,0)--(6,6)--(0,6)--cycle); draw((0,0)--(3,6)--(6,0)); label(""$A$"",(0,0),SW); "
     r"label(""$B$"",(6,0),SE); label(""$E$"",(3,6),N); [/asy]", "18"),
    (r"As shown, a circle of radius $5$ is inscribed in a square. What is the area of the region inside the "
     r"square but outside the circle? Express your answer in terms of $\pi$." "\n"
     r"[asy] draw(circle((5,5),5)); draw((0,0)--(10,0)--(10,10)--(0,10)--cycle); [/asy]", r"100-25\pi"),
    (r"How many paths from $A$ to $B$ along the grid lines shown use only steps up or to the right?" "\n"
     r"[asy] for(int i=0;i<=4;++i){draw((i,0)--(i,3));} for(int j=0;j<=3;++j){draw((0,j)--(4,j));} "
     r"label(""$A$"",(0,0),SW); label(""$B$"",(4,3),NE); [/asy]", "35"),
    (r"The figure below shows a regular hexagon with side length $2$. What is its area?" "\n"
     r"[asy] draw(dir(0)--dir(60)--dir(120)--dir(180)--dir(240)--dir(300)--cycle); [/asy]", r"6\sqrt{3}"),
    (r"In triangle $PQR$ pictured below, $PQ = 7$, $QR = 24$ and $\angle Q = 90^\circ$. Find $PR$." "\n"
     r"[asy] draw((0,0)--(24,0)--(0,7)--cycle); label(""$Q$"",(0,0),SW); label(""$R$"",(24,0),SE); "
     r"label(""$P$"",(0,7),N); [/asy]", "25"),
    (r"Two concentric circles have radii $3$ and $7$. What is the area of the shaded ring shown?" "\n"
     r"[asy] filldraw(circle((0,0),7),gray); filldraw(circle((0,0),3),white); [/asy]", r"40\pi"),
    (r"The graph of $y = f(x)$ is shown below. How many solutions does $f(x) = 1$ have on $[-3, 3]$?" "\n"
     r"[asy] draw((-3,-2)--(-1,2)--(1,-2)--(3,2)); draw((-3,1)--(3,1),dashed); [/asy]", "3"),
    (r"Square $WXYZ$ has side $10$. Point $M$ lies on $\overline{WX}$ with $WM = 4$, as in the drawing. "
     r"Find the area of quadrilateral $MXYZ$." "\n"
     r"[asy] draw((0,0)--(10,0)--(10,10)--(0,10)--cycle); draw((4,0)--(0,10)); [/asy]", "80"),
]
TIKZ = [
    (r"The tikz drawing below is a right triangle with legs $9$ and $12$. Find its perimeter." "\n"
     r"\begin{tikzpicture} \draw (0,0) -- (12,0) -- (0,9) -- cycle; \end{tikzpicture}", "36"),
    (r"In the figure, each small square has side $1$. What is the total area of the shaded squares?" "\n"
     r"\begin{tikzpicture} \fill[gray] (0,0) rectangle (2,1); \fill[gray] (3,0) rectangle (4,2); "
     r"\draw (0,0) grid (5,3); \end{tikzpicture}", "4"),
]
# Each text keeps a reference to a picture that is not in the text (stripped [asy] or an image).
MISSING_FIGURE = [
    (r"In the diagram, $ABCD$ is a rectangle with $AB = 8$. The shaded triangle has area $12$. Find $BC$.", "3"),
    (r"As shown in the figure, two chords of a circle meet at $P$. Find the length $x$.", "6"),
    (r"The figure below is made of five congruent squares. Its perimeter is $72$. What is its area?", "180"),
    (r"Triangle $ABC$ is pictured with its three medians drawn. Find the area of the shaded region.", "8"),
    (r"How many triangles of all sizes are in the figure shown?", "13"),
    (r"The graph shown below is $y = ax^2 + bx + c$. Find $a + b + c$.", "2"),
    (r"Using the diagram, find the measure of angle $x$ in degrees.", "40"),
    (r"The shaded region shown is bounded by two semicircles of radius $2$. Find its area.", r"2\pi"),
    (r"A regular octagon is depicted above with one diagonal drawn. Find the length of that diagonal.",
     r"1+\sqrt{2}"),
    (r"See the figure: a ladder of length $13$ leans against a wall. How far is its foot from the wall?", "5"),
    (r"In Figure 1, the two lines are parallel. What is the value of $y$?", "110"),
    (r"The bar chart shown gives the number of books each student read. What is the mean number of books?",
     "4"),
    (r"Find the area of the quadrilateral in the accompanying diagram.", "30"),
    (r"Each of the circles in the picture has radius $1$. What is the height of the stack?", r"2+\sqrt{3}"),
    (r"The spinner illustrated has five equal sectors. What is the probability of landing on red?",
     r"\frac{2}{5}"),
    (r"![grid](images/grid17.png) How many squares are in the grid?", "30"),
    (r"Find the perimeter of the polygon. <img src=""poly.png""> All angles are right angles.", "28"),
    (r"The Venn diagram above shows how many students take each language. How many take exactly one?", "23"),
    (r"What fraction of the large square is shaded, as indicated in the drawing below?", r"\frac{3}{8}"),
    (r"Lines $\ell$ and $m$ are parallel, as shown. Find $\angle ABC$ in degrees.", "65"),
]
GOOD = [
    (r"How many four-figure numbers are divisible by $13$?", "692"),
    (r"A figure skater spins $3$ times per second for $40$ seconds. How many full spins does she make?", "120"),
    (r"Round $\pi^2$ to three significant figures.", "9.87"),
    (r"The figure formed by the points $A(0,0)$, $B(4,0)$ and $C(0,3)$ is a triangle. Find its perimeter.", "12"),
    (r"It can be shown that $\sum_{k=1}^{\infty} \frac{1}{k(k+1)}$ converges. Find its value.", "1"),
    (r"Find the image of the point $(2, 5)$ under a reflection across the line $y = x$. Give the sum of its "
     r"coordinates.", "7"),
    (r"What is the sum of all positive divisors of $360$?", "1170"),
    (r"Find the number of positive divisors of $2024$.", "16"),
    (r"Find the number of positive divisors of $2024$ that are perfect squares.", "4"),
    (r"What is the value of $x$ if $3x + 7 = 25$?", "6"),
    (r"What is the value of $x$ if $3x + 7 = 31$?", "8"),
    (r"How many ways can $6$ people sit around a round table if rotations are considered the same?", "120"),
    (r"How many ways can $7$ people sit around a round table if rotations are considered the same?", "720"),
    (r"Compute $\dbinom{10}{4}$.", "210"),
    (r"Compute $\dbinom{12}{5}$.", "792"),
    (r"Let $f(x) = 2x^2 - 3x + 1$. Find $f(4)$.", "21"),
    (r"Solve for $y$: $\log_2 (y + 3) = 5$.", "29"),
    (r"The arithmetic mean of five consecutive odd integers is $37$. What is the largest of them?", "41"),
    (r"A bag holds $4$ red and $6$ blue marbles. Two are drawn without replacement. What is the probability "
     r"that both are red?", r"\frac{2}{15}"),
    (r"What is the remainder when $7^{2023}$ is divided by $5$?", "3"),
    (r"The sides of a triangle are $13$, $14$ and $15$. What is its area?", "84"),
    (r"If $a + b = 10$ and $ab = 21$, what is $a^2 + b^2$?", "58"),
    (r"How many integers $n$ satisfy $|n - 4| < 7$?", "13"),
    (r"A train travels $240$ miles in $4$ hours. At the same rate, how many miles does it travel in $7$ hours?",
     "420"),
    (r"Find the greatest common divisor of $2^{12} - 1$ and $2^{8} - 1$.", "15"),
    (r"In how many ways can the letters of the word BANANA be arranged?", "60"),
    (r"The interior angles of a convex polygon sum to $1980^\circ$. How many sides does it have?", "13"),
    (r"What is the least positive integer with exactly $10$ positive divisors?", "48"),
    (r"A cube has surface area $150$ square inches. What is its volume, in cubic inches?", "125"),
    (r"Evaluate $\sqrt{20 + \sqrt{20 + \sqrt{20 + \cdots}}}$.", "5"),
    (r"How many of the first $100$ positive integers are divisible by $3$, $4$ or $5$?", "60"),
    (r"Find the sum of the roots of $x^3 - 6x^2 + 11x - 6 = 0$.", "6"),
    (r"A rectangle has perimeter $46$ and diagonal $17$. What is its area?", "120"),
    (r"Kim scored $86$, $91$ and $78$ on three tests. What must she score on the fourth to average $85$?", "85"),
    (r"How many positive three-digit integers have digits whose sum is $5$?", "15"),
]
# Unrelated problems that share only an answer-format phrase with AIME problems ("Find m+n", "divided by 1000").
TEMPLATE_SHARING = [
    (r"A fair coin is flipped $10$ times. The probability that no two consecutive flips are both heads is "
     r"$\frac{m}{n}$, where $m$ and $n$ are relatively prime positive integers. Find $m+n$.", "73"),
    (r"Two cards are drawn from a standard deck. The probability that both are hearts is $\frac{m}{n}$, where "
     r"$m$ and $n$ are relatively prime positive integers. Find $m+n$.", "18"),
    (r"Three dice are rolled. The probability that their sum is $10$ is $\tfrac{m}{n}$, where $m$ and $n$ are "
     r"relatively prime positive integers. Find $m+n$.", "9"),
    (r"Let $N$ be the number of subsets of $\{1,2,\ldots,12\}$ with no two consecutive elements. Find the "
     r"remainder when $N$ is divided by $1000$.", "377"),
    (r"Let $N = 3^{100}$. Find the remainder when $N$ is divided by $1000$.", "1"),
    (r"Let $N$ be the number of ways to tile a $2 \times 15$ board with dominoes. Find the remainder when $N$ "
     r"is divided by $1000$.", "987"),
    (r"The area of an equilateral triangle with side $6$ can be written in the form $m\sqrt{n}$, where $m$ and "
     r"$n$ are positive integers and $n$ is not divisible by the square of any prime. Find $m+n$.", "12"),
    (r"The distance from the origin to the line $x + 2y = 10$ can be written in the form $\frac{m\sqrt n}{p}$, "
     r"where $m$, $n$, and $p$ are positive integers, $m$ and $p$ are relatively prime, and $n$ is not "
     r"divisible by the square of any prime. Find $m+n+p$.", "8"),
    (r"The sum $\sum_{k=1}^{20} \frac{1}{k(k+1)}$ is $\frac{m}{n}$, where $m$ and $n$ are relatively prime "
     r"positive integers. Find $m+n$.", "41"),
    (r"A point is chosen at random inside a square of side $4$. The probability that it lies within $1$ of the "
     r"center is $\frac{m\pi}{n}$, where $m$ and $n$ are relatively prime positive integers. Find $m+n$.", "17"),
    (r"Let $N$ be the sum of all four-digit palindromes. Find the remainder when $N$ is divided by $1000$.", "500"),
    (r"The value of $\cos^2 15^\circ$ can be written as $\frac{a+\sqrt{b}}{c}$, where $a$, $b$, and $c$ are "
     r"positive integers, and $a$ and $c$ are relatively prime. Find $a+b+c$.", "9"),
    (r"Let $N$ denote the number of ordered pairs of positive integers $(a,b)$ such that $a,b\leq 100$ and "
     r"$a+b$ is a multiple of $7$. Find the remainder when $N$ is divided by $1000$.", "428"),
    (r"The radius of the circle through $(0,0)$, $(6,0)$ and $(0,8)$ can be expressed as $\frac{m}{n}$, where "
     r"$m$ and $n$ are relatively prime positive integers. Find $m+n$.", "6"),
    (r"Find the number of ordered pairs $(x,y)$, where both $x$ and $y$ are integers between $-10$ and $10$, "
     r"inclusive, such that $x^2 + y^2 = 25$.", "12"),
    (r"There are $5!=120$ five-digit positive integers that use each of the digits $1,2,3,4,5$ exactly once. "
     r"Find the sum of all of them.", "3999960"),
]
