/* Suggestions under the search box: titles and registration numbers the reader
   may open (the server filters them). Without JavaScript the form works as is. */
(function () {
    "use strict";
    var input = document.getElementById("search-q");
    var list = document.getElementById("search-suggestions");
    if (!input || !list || !window.fetch) { return; }
    var endpoint = input.getAttribute("data-autocomplete-url");
    var timer = null;
    var latest = 0;

    function hide() { list.hidden = true; list.textContent = ""; input.setAttribute("aria-expanded", "false"); }

    function show(results) {
        list.textContent = "";
        results.forEach(function (item) {
            var li = document.createElement("li");
            li.setAttribute("role", "option");
            var link = document.createElement("a");
            link.href = item.url;
            link.textContent = item.title;
            if (item.registration_number) {
                var number = document.createElement("span");
                number.className = "search-suggestions__number";
                number.textContent = "№ " + item.registration_number;
                link.appendChild(document.createTextNode(" "));
                link.appendChild(number);
            }
            li.appendChild(link);
            list.appendChild(li);
        });
        list.hidden = results.length === 0;
        input.setAttribute("aria-expanded", results.length ? "true" : "false");
    }

    input.addEventListener("input", function () {
        window.clearTimeout(timer);
        var text = input.value.trim();
        if (text.length < 2) { hide(); return; }
        timer = window.setTimeout(function () {
            var request = ++latest;
            var separator = endpoint.indexOf("?") === -1 ? "?" : "&";
            window.fetch(endpoint + separator + "q=" + encodeURIComponent(text), {
                headers: { "Accept": "application/json" }, credentials: "same-origin"
            }).then(function (response) { return response.ok ? response.json() : { results: [] }; })
              .then(function (data) { if (request === latest) { show(data.results || []); } })
              .catch(hide);
        }, 200);
    });
    input.addEventListener("keydown", function (event) {
        if (event.key === "Escape") { hide(); }
        if (event.key === "ArrowDown" && !list.hidden) {
            var first = list.querySelector("a");
            if (first) { event.preventDefault(); first.focus(); }
        }
    });
    list.addEventListener("keydown", function (event) {
        var links = Array.prototype.slice.call(list.querySelectorAll("a"));
        var index = links.indexOf(document.activeElement);
        if (event.key === "ArrowDown" && index < links.length - 1) { event.preventDefault(); links[index + 1].focus(); }
        if (event.key === "ArrowUp") { event.preventDefault(); (index > 0 ? links[index - 1] : input).focus(); }
        if (event.key === "Escape") { hide(); input.focus(); }
    });
    document.addEventListener("click", function (event) {
        if (event.target !== input && !list.contains(event.target)) { hide(); }
    });
})();
