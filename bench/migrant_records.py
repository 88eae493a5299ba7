"""Synthetic Migrant Office records for evaluating the matcher (no real person's data).

Households of Venezuelan, Peruvian, Haitian, Colombian, Bolivian, Chilean, Cuban and Dominican
people are drawn from hand-made name lists with Zipf-like frequencies (list order = commonness).
Each person makes one or more visits; every visit is one record typed by a desk, with the errors
desks make: missing accents, upper case, typos, phonetic spellings (Yesenia/Yessenia,
Jhon/John, González/Gonzales), swapped or missing surnames, both surnames in one field,
shortened compound given names (María José -> María), Haitian hyphens (Jean-Baptiste /
Jean Baptiste / Jeanbaptiste), dropped particles (De la Cruz / Cruz), day/month swaps, a birth
year off by one, a wrong digit, a document missing, renewed or mistyped, a new phone.

Hard negatives come from the household structure and are deliberately over-represented:
siblings (same two surnames, different given names and birth dates), twins (same surnames and
birth date), children of a single mother (her two surnames), and namesakes (an unrelated
person given the full name of a common one, with another birth date).

    from bench.migrant_records import generate
    data = generate(10_000, seed=1)   # data.records, data.entity[id], data.household[id]

Seeds used by bench/dedupe_quality.py: 1 = dev (fitting and threshold), 2 = test (reported),
3 = the 100k timing set. Run this file to print a sample.
"""

from __future__ import annotations

import random
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from casework.matching import PersonRecord, rut_dv

TODAY = date(2026, 11, 23)


def _names(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


@dataclass(frozen=True)
class Culture:
    code: str
    weight: float
    female: list[str]
    male: list[str]
    surnames: list[str]
    two_surnames: bool = True
    compound_rate: float = 0.35
    female_second: list[str] = field(default_factory=list)
    male_second: list[str] = field(default_factory=list)


_F_SECOND = _names(
    "José, Fernanda, Alejandra, Isabel, Teresa, de los Ángeles, del Carmen, Paula, Camila, "
    "Elena, Gabriela, Victoria, Andrea, Eugenia, Valentina, Antonia, Lucía, Milagros, Rosa"
)
_M_SECOND = _names(
    "José, Antonio, Alejandro, Luis, Carlos, Eduardo, Andrés, David, Gregorio, Alberto, "
    "Enrique, Javier, Manuel, Rafael, Ignacio, Felipe, Jesús, Miguel, Ángel"
)

# Long tails shared by the Spanish-speaking cultures: real surname and given-name
# distributions are far less concentrated than a 40-name list (González is ~4 %, not 15 %).
_HISPANIC_TAIL = _names(
    "Abarca, Acevedo, Acuña, Aguirre, Alvarado, Amaya, Andrade, Aponte, Aranda, Arce, Arias, "
    "Arroyo, Ávila, Ayala, Balza, Barragán, Barrera, Becerra, Beltrán, Benítez, Bermúdez, Bustos, "
    "Caballero, Calderón, Camargo, Campos, Cano, Carmona, Carrillo, Carvajal, Castañeda, Cedeño, "
    "Cerda, Cifuentes, Cisneros, Coronado, Correa, Cortez, Cuéllar, Delgado, Domínguez, Duarte, "
    "Durán, Echeverría, Escobar, Esparza, Estrada, Fajardo, Farías, Ferrer, Fierro, Galindo, "
    "Gallegos, Galván, Gamboa, Garcés, Garrido, Gil, Godoy, Guerrero, Guevara, Ibarra, Iglesias, "
    "Infante, Jaramillo, Juárez, Lara, Leal, León, Lobo, Loyola, Lozano, Luna, Macías, Maldonado, "
    "Manrique, Márquez, Marín, Mata, Maya, Meléndez, Mena, Méndez, Mesa, Mora, Navarrete, Nieto, "
    "Noriega, Ocampo, Olmos, Ortega, Osorio, Otero, Padilla, Páez, Pardo, Paz, Pineda, Ponce, "
    "Prieto, Quiroga, Quiroz, Rangel, Rincón, Ríos, Robles, Román, Romero, Rubio, Ruiz, Salas, "
    "Salinas, Samaniego, Santana, Sarmiento, Segovia, Serrano, Solano, Solís, Sosa, Sotelo, "
    "Tello, Toledo, Toro, Trujillo, Ugarte, Urbina, Uribe, Valdés, Valle, Varela, Vela, Velasco, "
    "Velásquez, Vera, Vidal, Villa, Villegas, Zamora, Zapata, Zárate, Zavala, Zepeda, Aedo, "
    "Alfaro, Almeida, Altamirano, Ancheta, Arancibia, Arévalo, Baeza, Bastidas, Benavides, "
    "Bolívar, Buitrago, Cabello, Cadenas, Calvo, Cárcamo, Cardozo, Casanova, Cepeda, Chirinos, "
    "Colina, Cordero, Cornejo, Cuevas, Dávila, Escalante, Espinosa, Fonseca, Franco, Galeano, "
    "Gaitán, Granados, Hidalgo, Hurtado, Jaimes, Lagos, Landaeta, Lemus, Linares, Llanos, Lugo, "
    "Machado, Madrid, Mancilla, Matos, Mejías, Millán, Montero, Montes, Montoya, Mujica, Naranjo, "
    "Oliva, Olivares, Orozco, Ortiz, Palma, Pantoja, Peralta, Pimentel, Pinto, Pulido, Quevedo, "
    "Redondo, Requena, Rivero, Rosales, Saldaña, Sanabria, Santos, Sierra, Sotomayor, Tovar, "
    "Trejo, Troncoso, Ulloa, Useche, Vallejo, Vidal, Villamizar, Yépez, Zuleta"
)
_HISPANIC_F_TAIL = _names(
    "Adriana, Alba, Alicia, Amparo, Ana, Angélica, Antonella, Aracely, Beatriz, Belkis, Blanca, "
    "Brenda, Carla, Cecilia, Celeste, Clara, Cristina, Dalia, Débora, Elena, Elisa, Elsa, Emilce, "
    "Emma, Erika, Esperanza, Estela, Eva, Fabiola, Gisela, Gloria, Graciela, Hilda, Inés, Iris, "
    "Irma, Isabel, Jazmín, Jimena, Josefina, Julia, Karen, Karla, Laura, Leticia, Lidia, Liliana, "
    "Lorena, Lourdes, Luisa, Magaly, Maite, Marcela, Margarita, Maricela, Marta, Mayra, Miriam, "
    "Mónica, Nancy, Noemí, Norma, Olga, Patricia, Paola, Raquel, Rebeca, Regina, Rocío, Rosario, "
    "Ruth, Sabrina, Samanta, Selena, Silvia, Susana, Tamara, Teresa, Vanessa, Verónica, Virginia, "
    "Viviana, Xiomara, Yamile, Yanina, Yenny, Yolanda, Zaida, Zulay"
)
_HISPANIC_M_TAIL = _names(
    "Abel, Adolfo, Agustín, Alberto, Alejandro, Alfredo, Álvaro, Antonio, Armando, Arturo, "
    "Augusto, Bernardo, Camilo, César, Claudio, Cristóbal, Daniel, Darío, Edgardo, Efraín, "
    "Elías, Emilio, Enrique, Ernesto, Esteban, Eugenio, Ezequiel, Federico, Fernando, Francisco, "
    "Gabriel, Gerardo, Germán, Gilberto, Guillermo, Gustavo, Héctor, Hernán, Horacio, Ignacio, "
    "Iván, Jaime, Javier, Jesús, Joaquín, Jonás, Julio, Leonardo, Lorenzo, Manuel, Marco, Mario, "
    "Martín, Mateo, Mauricio, Moisés, Nicolás, Norberto, Octavio, Orlando, Pablo, Patricio, "
    "Pedro, Ramiro, Raúl, Ricardo, Roberto, Rodolfo, Rodrigo, Rogelio, Rolando, Samuel, Santiago, "
    "Saúl, Sergio, Simón, Tomás, Ulises, Valentín, Vicente, Wálter, Xavier, Yamil, Zacarías"
)
_HAITIAN_TAIL = _names(
    "Auguste, Belizaire, Benoît, Bernard, Blanc, Bonhomme, Casimir, Céus, Charlemagne, Chéry, "
    "Clervil, Constant, Daniel, Delva, Démosthène, Derisier, Desrosiers, Dieudonné, Dorsainvil, "
    "Dumas, Duverger, Edouard, Elysée, Emmanuel, Erilus, Félix, Fleurantin, Florestal, Fortuné, "
    "Gabriel, Germain, Guillaume, Hilaire, Hyppolite, Innocent, Jean-Charles, Jean-Gilles, "
    "Jean-Pierre, Jérôme, Joachim, Jolicoeur, Joseph-Charles, Lamour, Laurent, Leblanc, Legros, "
    "Lindor, Lubin, Lucien, Magloire, Marcelin, Mathurin, Maxi, Métellus, Milord, Mondésir, "
    "Narcisse, Nelson, Orélus, Pascal, Pélissier, Pierre-Louis, Placide, Prophète, Raymond, "
    "Rémy, Rigaud, Romain, Saintil, Salomon, Sanon, Sylvain, Théodore, Thélusma, Timothée, "
    "Valcin, Valmé, Vincent, Volcy, Zéphir"
)
_HAITIAN_F_TAIL = _names(
    "Anne, Bernadette, Chantal, Christela, Dieula, Edeline, Farah, Fleurette, Gerda, Ginette, "
    "Jeanne, Jessica, Josette, Lovelie, Marjorie, Mimose, Monique, Natacha, Phanie, Rosie, "
    "Sabine, Sonia, Stéphanie, Vanessa, Wideline, Yolette"
)
_HAITIAN_M_TAIL = _names(
    "Alix, Bertrand, Dieudonné, Eddy, Ernst, Fabrice, Fednel, Gérald, Herby, Jimmy, Jocelyn, "
    "Kervens, Lesly, Louckens, Maxime, Nixon, Patrick, Reginald, Rodney, Serge, Sonel, Vladimir, "
    "Wesner, Wilfrid, Woodly, Yves"
)

CULTURES: tuple[Culture, ...] = (
    Culture(
        "VEN",
        0.34,
        _names(
            "María, Yesenia, Daniela, Andreína, Génesis, Yusmary, Yuleisy, Nathaly, Estefanía, "
            "Carolina, Gabriela, Mariela, Yelitza, Johana, Dayana, Milagros, Oriana, Rosangela, "
            "Yorgelis, Marbelis, Luisana, Keila, Yaneth, Zuleima, Anyeli, Wendy, Yohelis, Zoraida, "
            "Neida, Yajaira, Betzabeth, Yamileth, Francis, Yuraima, Dubraska, Lisbeth"
        ),
        _names(
            "José, Luis, Carlos, Jhon, Yorman, Wilmer, Keiber, Kleiver, Deivis, Yonathan, Jesús, "
            "Miguel, Ángel, Jhonny, Franklin, Richard, Eduardo, Darwin, Yeferson, Anderson, "
            "Alexander, Kevin, Brayan, Reinaldo, Omar, Nelson, Freddy, Wilfredo, Yordy, Eliecer, "
            "Ender, Heberto, Johandry, Leandro, Oswaldo, Edgar"
        ),
        _names(
            "González, Rodríguez, Pérez, Hernández, García, Martínez, López, Díaz, Rivas, Morales, "
            "Rojas, Gómez, Sánchez, Ramírez, Torres, Contreras, Mendoza, Briceño, Moreno, Silva, "
            "Castillo, Vargas, Blanco, Medina, Marcano, Guzmán, Salazar, Colmenares, Villarroel, "
            "Suárez, Acosta, Parra, Chacón, Zambrano, Urdaneta, Bracho, Quintero, Montilla, "
            "Linares, Pacheco, Barrios, Albarrán, Carrasquero, Villalobos, Rondón, Escalona, "
            "Graterol, Brito, Mujica, Piñango, Ochoa, Arteaga, Lugo, Figuera, Camacho, Yánez"
        ),
        compound_rate=0.4,
    ),
    Culture(
        "PER",
        0.15,
        _names(
            "María, Rosa, Luz, Carmen, Milagros, Yesenia, Flor, Sonia, Juana, Elizabeth, Pilar, "
            "Lucía, Gladys, Maribel, Karina, Jhoana, Roxana, Sandra, Nelly, Yolanda, Marleny, "
            "Yesica, Doris, Liliana, Mercedes, Haydee, Rocío, Zulema"
        ),
        _names(
            "José, Juan, Luis, Carlos, Jorge, Jhon, César, Víctor, Miguel, Julio, Percy, Wilber, "
            "Edwin, Elmer, Walter, Alex, Raúl, Hugo, Richard, Fredy, Jhonatan, Roger, Ronald, "
            "Segundo, Teófilo, Hernán, Kevin, Brayan"
        ),
        _names(
            "Quispe, Flores, Sánchez, Rodríguez, García, Huamán, Chávez, Ramos, Mendoza, Torres, "
            "Díaz, Vásquez, Castillo, Espinoza, Mamani, Rojas, Gutiérrez, Ccahuana, Huanca, "
            "Cárdenas, Palomino, Salazar, Paredes, Ticona, Apaza, Cusi, Yupanqui, Condori, "
            "Huillca, Villanueva, Cabrera, Llanos, Zapata, Inga, Chuquimango, Aguilar, "
            "Valverde, Jiménez"
        ),
        compound_rate=0.35,
    ),
    Culture(
        "HTI",
        0.15,
        _names(
            "Marie, Guerline, Wislande, Rose, Nadège, Jocelyne, Roseline, Kerline, Widlyne, "
            "Fabiola, Esther, Sandra, Mirlande, Nathalie, Magalie, Claudette, Rosemène, Lovely, "
            "Mackendy, Fedeline, Darline, Judith, Islande, Medjine, Cassandra, Rachelle, "
            "Ketia, Sherlie, Guerda, Myrlande"
        ),
        _names(
            "Jean, Pierre, Jean-Baptiste, Jean-Robert, Jean-Claude, Mackenson, Fritznel, Wilner, "
            "Josué, Jameson, Wisly, Ricardo, Stevenson, Frantz, Jean-Louis, Guerby, Peterson, "
            "Wilson, Emmanuel, Junior, Jackson, Roodly, Evens, Samuel, Claude, Daniel, Louis, "
            "Widner, Fritz, Jeff"
        ),
        _names(
            "Jean-Baptiste, Pierre, Joseph, Louis, Saint-Fleur, Jean-Louis, Charles, Exantus, "
            "Désir, Petit-Frère, Alexis, Augustin, Baptiste, Cadet, Célestin, Dorvil, Étienne, "
            "François, Georges, Jacques, Julien, Laguerre, Michel, Noël, Paul, Philippe, "
            "Saint-Louis, Thermidor, Vilsaint, Jean, Fils-Aimé, Saint-Jean, Dorélien, Estimé, "
            "Jeune, Lafortune, Moïse, Octavius, Toussaint, Bien-Aimé"
        ),
        two_surnames=False,
        compound_rate=0.25,
        female_second=_names("Rose, Carmel, Ange, Michelle, Lourdes, Jolie, Flore, Nadia"),
        male_second=_names("Robert, Claude, Junior, Marc, Wilson, Ronald, Fritz, Ernst"),
    ),
    Culture(
        "COL",
        0.12,
        _names(
            "María, Luz, Sandra, Leidy, Jhoana, Diana, Valentina, Paola, Yeimy, Natalia, Yuliana, "
            "Angie, Viviana, Claudia, Marcela, Lorena, Paula, Tatiana, Yurany, Erika, Dayana, "
            "Yenifer, Katherine, Stefany, Carolina, Daniela, Sara, Lina"
        ),
        _names(
            "Jhon, Juan, Carlos, Luis, Yeison, Brayan, Andrés, Jorge, Diego, Cristian, Oscar, "
            "Jairo, Wilson, Fabián, Sebastián, Julián, Duván, Harold, Alexis, Camilo, Stiven, "
            "Edwin, Yesid, Arley, Jhonatan, Felipe, Mauricio, David"
        ),
        _names(
            "Rodríguez, Gómez, González, Martínez, García, López, Hernández, Sánchez, Ramírez, "
            "Pérez, Díaz, Muñoz, Rojas, Moreno, Jiménez, Cardona, Ospina, Restrepo, Zapata, "
            "Giraldo, Valencia, Castaño, Mosquera, Palacios, Quintero, Cuesta, Londoño, Henao, "
            "Agudelo, Arango, Betancur, Rentería, Córdoba, Murillo, Caicedo, Valoyes"
        ),
        compound_rate=0.4,
        female_second=_names("Dary, Marcela, Milena, Andrea, Alejandra, Fernanda, Camila, Yaneth"),
    ),
    Culture(
        "BOL",
        0.08,
        _names(
            "María, Juana, Rosa, Lidia, Sonia, Julia, Marisol, Wilma, Ruth, Nancy, Cinthia, "
            "Ximena, Gabriela, Norma, Silvia, Eva, Delia, Roxana, Teodora, Filomena, Basilia"
        ),
        _names(
            "Juan, José, Luis, Carlos, Mario, Freddy, Wilson, Marcelo, René, Edwin, Rubén, "
            "Víctor, Félix, Ramiro, Teodoro, Gonzalo, Limbert, Grover, Wilfredo, Efraín, Néstor"
        ),
        _names(
            "Mamani, Quispe, Condori, Choque, Huanca, Flores, Mendoza, Apaza, Ticona, Limachi, "
            "Coaquira, Yujra, Colque, Calle, Cruz, Chambi, Poma, Villca, Copa, Gutiérrez, Rojas, "
            "Vargas, Fernández, Quisbert, Alanoca, Laura, Aruquipa, Callisaya, Cusi, Tarqui, "
            "Huarachi, Mollo, Nina, Zenteno"
        ),
        compound_rate=0.3,
    ),
    Culture(
        "CHL",
        0.06,
        _names(
            "María, Sofía, Isidora, Florencia, Catalina, Javiera, Constanza, Camila, Francisca, "
            "Valentina, Fernanda, Daniela, Carolina, Paulina, Macarena, Josefa, Antonia, Trinidad, "
            "Amanda, Agustina, Emilia, Martina"
        ),
        _names(
            "Benjamín, Vicente, Martín, Matías, José, Juan, Cristóbal, Sebastián, Felipe, Diego, "
            "Tomás, Joaquín, Nicolás, Francisco, Pedro, Rodrigo, Gonzalo, Ignacio, Agustín, "
            "Alonso, Maximiliano, Bastián"
        ),
        _names(
            "González, Muñoz, Rojas, Díaz, Pérez, Soto, Contreras, Silva, Martínez, Sepúlveda, "
            "Morales, Rodríguez, López, Fuentes, Araya, Torres, Espinoza, Flores, Castillo, "
            "Valenzuela, Tapia, Reyes, Gutiérrez, Castro, Pizarro, Álvarez, Vásquez, Sánchez, "
            "Fernández, Ramírez, Carrasco, Gómez, Cortés, Herrera, Núñez, Jara, Vergara, Rivera, "
            "Figueroa, Riquelme, Miranda, Bravo, Vera, Molina, Vega, Campos, Sandoval, Orellana, "
            "Zúñiga, Olivares, Alarcón, Gallardo, Henríquez, Saavedra, Aravena, Cáceres, Yáñez, "
            "San Martín, Del Valle, De la Fuente"
        ),
        compound_rate=0.35,
    ),
    Culture(
        "CUB",
        0.05,
        _names(
            "Yusleidy, Yaima, Dayami, Yanelis, Yuliet, Yamilé, Lisandra, Yudith, Mayelin, "
            "Yaquelín, Odalys, Anisley, Dunia, Marlenis, Yanet, Arianna, Yisel, Yordanka"
        ),
        _names(
            "Yunior, Yoandry, Osmany, Yordanis, Leonel, Yuniel, Yoel, Alexei, Yasmani, Yosvany, "
            "Reinier, Dairon, Eliecer, Yoan, Raidel, Yulier, Adrián, Ernesto"
        ),
        _names(
            "Rodríguez, González, Hernández, Pérez, García, Martínez, Fernández, López, Díaz, "
            "Sánchez, Álvarez, Ramírez, Castillo, Cruz, Guerra, Morales, Suárez, Reyes, Delgado, "
            "Cabrera, Rivero, Borrego, Leyva, Ramos, Batista, Figueredo, Peña, Quesada"
        ),
        compound_rate=0.15,
    ),
    Culture(
        "DOM",
        0.05,
        _names(
            "Yokasta, Yudelka, Ramona, Yohanny, Altagracia, Mercedes, Yaneiry, Massiel, Yafreisy, "
            "Rosanna, Wendy, Yeimi, Charina, Dilenia, Yahaira, Nairoby, Esmeralda"
        ),
        _names(
            "Wander, Franklin, Darlin, Anyelo, Wilkin, Yefri, Juan, Ramón, Rafael, Manuel, Elvin, "
            "Robinson, Starlin, Alexander, Yunior, Cristian, Henry, Edwin"
        ),
        _names(
            "Rodríguez, Pérez, Martínez, García, Reyes, Santos, Ramírez, De la Cruz, Peña, "
            "Jiménez, Mejía, Batista, Féliz, Almonte, Encarnación, Rosario, De los Santos, "
            "Taveras, Polanco, Báez, Vásquez, Guzmán, Medina, Tejada, Rosa, Castillo, Paulino, "
            "Valdez"
        ),
        compound_rate=0.2,
    ),
)


def _with_tail(c: Culture) -> Culture:
    if c.code == "HTI":
        st, ft, mt = _HAITIAN_TAIL, _HAITIAN_F_TAIL, _HAITIAN_M_TAIL
    else:
        st, ft, mt = _HISPANIC_TAIL, _HISPANIC_F_TAIL, _HISPANIC_M_TAIL

    def ext(head: list[str], tail: list[str]) -> list[str]:
        return head + [t for t in tail if t not in head]

    return replace(c, surnames=ext(c.surnames, st), female=ext(c.female, ft), male=ext(c.male, mt))


CULTURES = tuple(_with_tail(c) for c in CULTURES)

# Spellings desks really alternate between (each group is one name).
_VARIANT_GROUPS = [
    ("Yesenia", "Yessenia", "Yecenia"),
    ("Jhon", "John", "Jon"),
    ("Johana", "Jhoana", "Yohana", "Johanna"),
    ("Brayan", "Bryan", "Brian"),
    ("Estefanía", "Stefany", "Estefany", "Stefanía"),
    ("Nathaly", "Nataly", "Nathalie"),
    ("Yonathan", "Jonathan", "Jhonatan"),
    ("Jhonatan", "Jonatan", "Jhonathan"),
    ("Kevin", "Kevyn", "Keivin"),
    ("Jocelyn", "Joselin", "Yoselin", "Jocelyne"),
    ("Jocelyne", "Jocelin", "Joselyne"),
    ("Wislande", "Wisland"),
    ("Guerline", "Gerline"),
    ("Jhonny", "Johnny", "Yoni"),
    ("Yorman", "Jorman"),
    ("Leidy", "Leydi", "Lady"),
    ("Yeison", "Jeison"),
    ("Yuleisy", "Yuleisi"),
    ("Anyelo", "Angelo"),
    ("Yenifer", "Jennifer", "Jenifer"),
    ("Marie", "Mari"),
    ("Mackenson", "Makenson"),
    ("Widlyne", "Widline"),
    ("Kerline", "Querline"),
    ("Yeimy", "Yeimi", "Jeimy"),
    ("Stiven", "Steven", "Estiven"),
    ("Yeferson", "Jeferson", "Jefferson"),
    ("González", "Gonzales"),
    ("Vásquez", "Vázquez", "Vasques"),
    ("Quispe", "Kispe"),
    ("Huamán", "Guamán", "Huaman"),
    ("Chávez", "Chaves"),
    ("Jiménez", "Giménez", "Ximénez"),
    ("Condori", "Kondori"),
    ("Exantus", "Exantis"),
    ("Désir", "Desir", "Dézir"),
    ("Mamani", "Mamany"),
    ("Llanos", "Yanos"),
    ("Barrios", "Varrios"),
    ("Zambrano", "Sambrano"),
    ("Huanca", "Guanca"),
    ("Ccahuana", "Cahuana"),
    ("Yupanqui", "Llupanqui"),
    ("Thermidor", "Termidor"),
    ("Briceño", "Briseño"),
    ("Yujra", "Llujra"),
    ("Quisbert", "Kisbert"),
    ("Villca", "Vilca"),
]
_VARIANTS: dict[str, tuple[str, ...]] = {}
for _group in _VARIANT_GROUPS:
    for _name in _group:
        _VARIANTS.setdefault(_name.lower(), tuple(n for n in _group if n != _name))

# Rule-based phonetic respellings: (pattern, replacement) applied once at a random match.
_PHONETIC_SUBS = [
    ("z", "s"),
    ("s", "z"),
    ("v", "b"),
    ("b", "v"),
    ("ll", "y"),
    ("y", "ll"),
    ("ss", "s"),
    ("s", "ss"),
    ("i$", "y"),  # y/i alternate at the end of a name only (Nataly / Natali)
    ("y$", "i"),
    ("qu", "k"),
    ("ca", "ka"),
    ("co", "ko"),
    ("ch", "sh"),
    ("j", "jh"),
    ("h", ""),
    ("ce", "se"),
    ("ci", "si"),
    ("n", "nn"),
    ("th", "t"),
]

_KEYBOARD = "qwertyuiop asdfghjklñ zxcvbnm"


def _neighbours(ch: str) -> str:
    rows = _KEYBOARD.split(" ")
    for row in rows:
        k = row.find(ch)
        if k >= 0:
            return row[max(k - 1, 0) : k] + row[k + 1 : k + 2]
    return "aeiou"


def _strip_accents(text: str) -> str:
    import unicodedata

    return "".join(
        c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)
    ).replace("\u0303", "")


@dataclass
class Person:
    pid: str
    hid: str
    culture: Culture
    given: str
    sur1: str
    sur2: str | None
    dob: date
    sex: str
    docs: list[tuple[str, str]]  # (type, canonical number)
    run: str | None  # a RUN obtained after some visits
    phones: list[str]
    role: str
    goes_by: int = 0  # which given name a shortened compound keeps (0 first, 1 second)
    namesake_of: str | None = None


@dataclass
class Dataset:
    records: list[PersonRecord]
    entity: dict[str, str]  # record id -> person id
    household: dict[str, str]  # record id -> household id
    role: dict[str, str]  # person id -> role (single, father, child, twin, namesake ...)
    namesake_of: dict[str, str] = field(default_factory=dict)  # person id -> person id

    def lookalike_pairs(self) -> dict[str, list[tuple[str, str]]]:
        """Record pairs of different people who look alike: "sibling" (children of one
        household, twins included), "relative" (other members of one household: parents and
        children, couples) and "namesake" (an unrelated person given the same common full
        name)."""
        by_house: dict[str, list[str]] = {}
        by_person: dict[str, list[str]] = {}
        for rid in self.entity:
            by_house.setdefault(self.household[rid], []).append(rid)
            by_person.setdefault(self.entity[rid], []).append(rid)
        siblings: list[tuple[str, str]] = []
        relatives: list[tuple[str, str]] = []
        kids = {"child", "twin"}
        for ids in by_house.values():
            for i, a in enumerate(ids):
                for b in ids[i + 1 :]:
                    pa, pb = self.entity[a], self.entity[b]
                    if pa == pb:
                        continue
                    if self.role[pa] in kids and self.role[pb] in kids:
                        siblings.append((a, b))
                    else:
                        relatives.append((a, b))
        namesakes = [
            (a, b)
            for pid, model in self.namesake_of.items()
            for a in by_person.get(pid, [])
            for b in by_person.get(model, [])
        ]
        return {"sibling": siblings, "relative": relatives, "namesake": namesakes}

    def true_pairs(self) -> set[tuple[str, str]]:
        by: dict[str, list[str]] = {}
        for rid, pid in self.entity.items():
            by.setdefault(pid, []).append(rid)
        out: set[tuple[str, str]] = set()
        for ids in by.values():
            ids.sort()
            for i in range(len(ids)):
                for j in range(i + 1, len(ids)):
                    out.add((ids[i], ids[j]))
        return out


class _Gen:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.n_person = 0
        self.n_house = 0
        self.people: list[Person] = []
        self._zipf_cache: dict[int, list[float]] = {}

    # -- drawing ------------------------------------------------------------------------------

    def zipf(self, items: Sequence[str], s: float = 0.75) -> str:
        weights = self._zipf_cache.get(len(items))
        if weights is None:
            weights = [1.0 / (k + 1) ** s for k in range(len(items))]
            self._zipf_cache[len(items)] = weights
        return self.rng.choices(items, weights=weights)[0]

    def given(self, c: Culture, sex: str) -> str:
        first = self.zipf(c.female if sex == "F" else c.male)
        if "-" in first or self.rng.random() >= c.compound_rate:
            return first
        if c.code == "HTI":
            second = self.rng.choice(c.female_second if sex == "F" else c.male_second)
            return f"{first}-{second}" if self.rng.random() < 0.6 else f"{first} {second}"
        pool = (c.female_second or _F_SECOND) if sex == "F" else (c.male_second or _M_SECOND)
        second = self.rng.choice([p for p in pool if p != first] or pool)
        if sex == "F" and self.rng.random() < 0.4:
            first = "María"
        if second == first:
            return first
        return f"{first} {second}"

    def birth(self, age_lo: int, age_hi: int) -> date:
        days = self.rng.randint(age_lo * 365, age_hi * 365 + 364)
        return TODAY - timedelta(days=days)

    def digits(self, n: int) -> str:
        return str(self.rng.randint(10 ** (n - 1), 10**n - 1))

    def run_number(self, lo: int, hi: int) -> str:
        body = self.rng.randint(lo, hi)
        return f"{body}-{rut_dv(body)}"

    def foreign_docs(self, c: Culture, age: int) -> list[tuple[str, str]]:
        r = self.rng.random
        docs: list[tuple[str, str]] = []
        if c.code == "CHL":
            return [("run", self.run_number(5_000_000, 26_000_000))]
        natid = {
            "VEN": (0.9, lambda: str(self.rng.randint(5_000_000, 33_000_000))),
            "PER": (0.9, lambda: f"{self.rng.randint(1_000_000, 79_999_999):08d}"),
            "COL": (0.85, lambda: str(self.rng.randint(1_000_000, 1_199_999_999))),
            "BOL": (0.85, lambda: self.digits(self.rng.choice((6, 7, 8)))),
            "HTI": (0.3, lambda: self.digits(10)),
            "CUB": (0.5, lambda: self.digits(11)),
            "DOM": (0.7, lambda: self.digits(11)),
        }[c.code]
        if age >= 10 and r() < natid[0]:
            docs.append(("national_id", natid[1]()))
        pass_rate = {"HTI": 0.7, "CUB": 0.7, "VEN": 0.4, "DOM": 0.4, "COL": 0.3}.get(c.code, 0.2)
        if r() < pass_rate or not docs:
            letters = "ABCDEFGHJKLMNPRSTUVXYZ"
            num = self.rng.choice(letters) + self.rng.choice(letters) + self.digits(7)
            if c.code in ("VEN", "PER", "COL"):
                num = self.digits(9)
            docs.append(("passport", num))
        if age < 18 and r() < 0.5:
            docs.append(("ipe", self.run_number(100_000_000, 100_999_999)))
        return docs

    def phone(self) -> str:
        return f"+569{self.rng.randint(10_000_000, 99_999_999)}"

    def person(
        self,
        hid: str,
        c: Culture,
        sex: str,
        given: str,
        sur1: str,
        sur2: str | None,
        dob: date,
        phones: list[str],
        role: str,
    ) -> Person:
        self.n_person += 1
        age = (TODAY - dob).days // 365
        run = None
        if c.code != "CHL" and self.rng.random() < 0.25:
            run = self.run_number(25_000_000, 28_999_999)
        goes_by = 1 if " " in given and "-" not in given and self.rng.random() < 0.1 else 0
        p = Person(
            f"P{self.n_person:06d}",
            hid,
            c,
            given,
            sur1,
            sur2 if c.two_surnames else None,
            dob,
            sex,
            self.foreign_docs(c, age),
            run,
            phones,
            role,
            goes_by,
        )
        self.people.append(p)
        return p

    # -- households ---------------------------------------------------------------------------

    def household(self) -> list[Person]:
        rng = self.rng
        c = rng.choices(CULTURES, weights=[x.weight for x in CULTURES])[0]
        self.n_house += 1
        hid = f"H{self.n_house:06d}"
        shared = [self.phone()] if rng.random() < 0.55 else []

        def own_phones(adult: bool) -> list[str]:
            return [*shared, self.phone()] if adult and rng.random() < 0.6 else list(shared)

        def surnames() -> tuple[str, str | None]:
            s1 = self.zipf(c.surnames)
            s2 = self.zipf(c.surnames) if c.two_surnames else None
            return s1, s2

        kind = rng.random()
        out: list[Person] = []
        if kind < 0.4:
            sex = rng.choice("FM")
            s1, s2 = surnames()
            dob = self.birth(18, 70)
            out.append(
                self.person(
                    hid, c, sex, self.given(c, sex), s1, s2, dob, own_phones(True), "single"
                )
            )
            return out
        mother_s = surnames()
        mother_dob = self.birth(20, 55)
        mother = self.person(
            hid,
            c,
            "F",
            self.given(c, "F"),
            *mother_s,
            mother_dob,
            own_phones(True),
            "mother",
        )
        out.append(mother)
        with_father = kind < 0.8
        if with_father:
            father_s = surnames()
            father_dob = mother_dob + timedelta(days=rng.randint(-3000, 2000))
            out.append(
                self.person(
                    hid,
                    c,
                    "M",
                    self.given(c, "M"),
                    *father_s,
                    father_dob,
                    own_phones(True),
                    "father",
                )
            )
            child_s1, child_s2 = father_s[0], mother_s[0] if c.two_surnames else None
        else:
            child_s1, child_s2 = mother_s  # a single mother's children carry her two surnames
        n_children = rng.choice((0, 1, 1, 2, 2, 2, 3, 3, 4)) if with_father else rng.randint(1, 3)
        mother_age = (TODAY - mother_dob).days // 365
        taken: set[str] = set()
        twins = n_children >= 2 and rng.random() < 0.12
        last_dob: date | None = None
        for k in range(n_children):
            if twins and k == 1 and last_dob is not None:
                dob = last_dob
                role = "twin"
            else:
                hi = max(mother_age - 17, 0)
                dob = self.birth(0, min(hi, 25)) if hi > 0 else self.birth(0, 1)
                role = "child"
            sex = rng.choice("FM")
            given = self.given(c, sex)
            for _ in range(50):
                # siblings never share a first given name, except as compounds that differ
                # in the second one (María José / María Fernanda)
                first = given.split(" ")[0].split("-")[0]
                if given not in taken and (first not in taken or " " in given):
                    break
                given = self.given(c, sex)
            elder = [q for q in out[2 if with_father else 1 :] if q.sex == sex and " " in q.given]
            if elder and c.code != "HTI" and rng.random() < 0.35:
                # Latin-American families often repeat the first name of a compound
                first = elder[0].given.split(" ")[0]
                pool = (
                    (c.female_second or _F_SECOND) if sex == "F" else (c.male_second or _M_SECOND)
                )
                seconds = [x for x in pool if f"{first} {x}" not in taken and x != first]
                if seconds:
                    given = f"{first} {rng.choice(seconds)}"
            taken.add(given)
            taken.add(given.split(" ")[0].split("-")[0])
            last_dob = dob
            age = (TODAY - dob).days // 365
            out.append(
                self.person(
                    hid,
                    c,
                    sex,
                    given,
                    child_s1,
                    child_s2,
                    dob,
                    own_phones(age >= 16),
                    role,
                )
            )
        return out

    def namesake(self, model: Person) -> Person:
        """An unrelated person with the same full name as `model`, another birth date."""
        self.n_house += 1
        hid = f"H{self.n_house:06d}"
        dob = self.birth(18, 70)
        while abs((dob - model.dob).days) < 400:
            dob = self.birth(18, 70)
        new = self.person(
            hid,
            model.culture,
            model.sex,
            model.given,
            model.sur1,
            model.sur2,
            dob,
            [self.phone()] if self.rng.random() < 0.6 else [],
            "namesake",
        )
        new.namesake_of = model.pid
        return new


# ------------------------------------------------------------------------------------------
# Desk typing errors


class _Desk:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def typo(self, word: str) -> str:
        rng = self.rng
        letters = [i for i, ch in enumerate(word) if ch.isalpha()]
        if len(letters) < 3:
            return word
        i = rng.choice(letters[1:])  # desks rarely get the first letter wrong
        op = rng.random()
        if op < 0.3:
            return word[:i] + word[i + 1 :]
        if op < 0.55:
            return word[:i] + rng.choice(_neighbours(word[i].lower()) or "e") + word[i:]
        if op < 0.8:
            return word[:i] + rng.choice(_neighbours(word[i].lower()) or "e") + word[i + 1 :]
        if i + 1 < len(word):
            return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
        return word[:i] + word[i] + word[i:]

    def phonetic(self, word: str) -> str:
        rng = self.rng
        variants = _VARIANTS.get(word.lower())
        if variants and rng.random() < 0.8:
            return rng.choice(variants)
        low = _strip_accents(word.lower())
        subs = [(a, b) for a, b in _PHONETIC_SUBS if re.search(a, low[1:])]
        if not subs:
            return word
        a, b = rng.choice(subs)
        out = low[0] + re.sub(a, b, low[1:], count=1)
        return out[:1].upper() + out[1:]

    def name_field(self, text: str, p_typo: float, p_phon: float) -> str:
        """Mutate one word of a name field (typo or phonetic spelling)."""
        rng = self.rng
        words = text.split(" ")
        if rng.random() < p_phon:
            k = rng.randrange(len(words))
            parts = words[k].split("-")
            j = rng.randrange(len(parts))
            parts[j] = self.phonetic(parts[j])
            words[k] = "-".join(parts)
        if rng.random() < p_typo:
            k = rng.randrange(len(words))
            words[k] = self.typo(words[k])
        return " ".join(words)

    def hyphen(self, text: str) -> str:
        if "-" not in text:
            return text
        roll = self.rng.random()
        if roll < 0.5:
            return text.replace("-", " ")
        if roll < 0.6:
            return text.replace("-", "")
        return text

    def particle(self, text: str) -> str:
        low = text.lower()
        if not low.startswith(("de ", "del ", "san ")):
            return text
        roll = self.rng.random()
        if roll < 0.2:
            return text.split(" ")[-1]
        if roll < 0.3:
            return text.replace(" ", "")
        return text

    def doc_text(self, kind: str, number: str, p_typo: float) -> str:
        rng = self.rng
        if rng.random() < p_typo:
            digits = [i for i, ch in enumerate(number) if ch.isdigit()]
            if len(digits) >= 4:
                i = rng.choice(digits[:-1])
                if rng.random() < 0.5:
                    number = (
                        number[:i]
                        + str((int(number[i]) + rng.randint(1, 9)) % 10)
                        + number[i + 1 :]
                    )
                elif i + 1 < len(number) and number[i + 1].isdigit():
                    number = number[:i] + number[i + 1] + number[i] + number[i + 2 :]
        if kind in ("run", "ipe") and "-" in number:
            body, dv = number.split("-")
            style = rng.random()
            if style < 0.4:
                return f"{int(body):,}".replace(",", ".") + "-" + dv
            if style < 0.7:
                return number
            if style < 0.8:
                return body + dv.lower()
            return body + dv
        if kind == "national_id":
            style = rng.random()
            if style < 0.3 and len(number) >= 7:
                return f"{int(number):,}".replace(",", ".")
            if style < 0.4:
                return "V-" + number if len(number) == 8 else number + " "
            return number
        return number if rng.random() < 0.8 else number.lower()


def _visit(p: Person, k: int, desk: _Desk, first: bool) -> PersonRecord:
    """One record of person `p` at visit `k`, as a desk typed it."""
    rng = desk.rng
    err = 0.5 if first else 1.0  # first registrations are typed a little more carefully
    given, s1, s2 = p.given, p.sur1, p.sur2
    # given names
    if " " in given.strip() and "-" not in given and rng.random() < 0.25 * err:
        # María José -> María; someone who goes by the second name gives that one
        given = given.split(" ")[-1] if p.goes_by else given.split(" ")[0]
    if "-" in given and rng.random() < 0.25 * err:
        given = given.split("-")[0]  # Jean-Robert -> Jean
    given = desk.hyphen(given)
    given = desk.name_field(given, 0.08 * err, 0.12 * err)
    # surnames
    s1 = desk.particle(desk.hyphen(s1))
    s1 = desk.name_field(s1, 0.06 * err, 0.10 * err)
    if s2 is not None:
        s2 = desk.particle(desk.hyphen(s2))
        s2 = desk.name_field(s2, 0.06 * err, 0.10 * err)
        roll = rng.random()
        if roll < 0.06 * err:
            s1, s2 = s2, s1
        elif roll < 0.21 * err:
            s2 = None
        elif roll < 0.25 * err:
            s1, s2 = f"{s1} {s2}", None
    if rng.random() < 0.01 * err:
        given, s1 = s1, given
    # case and accents
    if rng.random() < 0.45:
        given, s1 = _strip_accents(given), _strip_accents(s1)
        s2 = _strip_accents(s2) if s2 else s2
    if rng.random() < 0.2:
        given, s1 = given.upper(), s1.upper()
        s2 = s2.upper() if s2 else s2
    # birth date
    dob: date | None = p.dob
    roll = rng.random()
    if p.role != "child" and p.culture.code in ("HTI", "VEN") and rng.random() < 0.03:
        dob = date(p.dob.year, 1, 1)  # estimated age, registered as 1 January
    elif roll < 0.04 * err:
        dob = None
    elif roll < 0.08 * err and p.dob.day <= 12 and p.dob.day != p.dob.month:
        dob = date(p.dob.year, p.dob.day, p.dob.month)
    elif roll < 0.12 * err:
        dob = _safe_date(p.dob.year + rng.choice((-1, 1)), p.dob.month, p.dob.day)
    elif roll < 0.15 * err:
        dob = _digit_typo(p.dob, rng)
    elif roll < 0.155 * err:
        dob = TODAY - timedelta(days=rng.randint(0, 700))  # intake date typed as birth date
    # documents: each known document typed or not; passports get renewed; a RUN arrives later
    docs: list[tuple[str, str]] = []
    for kind, number in p.docs:
        if kind == "passport" and not first and rng.random() < 0.15:
            number = number[:2] + str(rng.randint(1_000_000, 9_999_999))
        if rng.random() < 0.55:
            docs.append((kind, desk.doc_text(kind, number, 0.02)))
    if p.run is not None and k >= 1 and rng.random() < 0.7:
        docs.append(("run", desk.doc_text("run", p.run, 0.02)))
    # phones
    phones: list[str] = []
    if p.phones and rng.random() < 0.75:
        phones = [p.phones[-1] if rng.random() < 0.7 else rng.choice(p.phones)]
        if not first and rng.random() < 0.25:
            phones = [f"+569{rng.randint(10_000_000, 99_999_999)}"]
        phones = [_phone_text(x, rng) for x in phones]
    sex: str | None = p.sex if rng.random() > 0.05 else None
    if sex is not None and rng.random() < 0.005:
        sex = "M" if sex == "F" else "F"
    nat: str | None = p.culture.code if rng.random() > 0.05 else None
    if nat is not None and rng.random() < 0.01:
        nat = rng.choice(CULTURES).code
    return PersonRecord(
        id="",
        given_names=given,
        first_surname=s1,
        second_surname=s2,
        birth_date=dob,
        sex=sex,
        nationality=nat,
        documents=tuple(docs),
        phones=tuple(phones),
    )


def _phone_text(e164: str, rng: random.Random) -> str:
    style = rng.random()
    local = e164[3:]
    if style < 0.4:
        return e164
    if style < 0.7:
        return local
    return f"{local[0]} {local[1:5]} {local[5:]}"


def _safe_date(y: int, m: int, d: int) -> date:
    while True:
        try:
            return date(y, m, d)
        except ValueError:
            d -= 1


def _digit_typo(d: date, rng: random.Random) -> date | None:
    s = f"{d.year:04d}{d.month:02d}{d.day:02d}"
    for _ in range(20):
        i = rng.choice((2, 3, 4, 5, 6, 7))
        t = s[:i] + str(rng.randint(0, 9)) + s[i + 1 :]
        if t == s:
            continue
        try:
            typo = date(int(t[:4]), int(t[4:6]), int(t[6:]))
        except ValueError:
            continue
        if typo <= TODAY:  # intake forms refuse dates in the future
            return typo
    return d


def generate(
    n_records: int,
    seed: int,
    dup_rate: float = 0.3,
    namesake_rate: float = 0.03,
) -> Dataset:
    """About `n_records` records (whole households), deterministic for a seed.

    A person makes one visit, or with probability `dup_rate` two to five visits.
    """
    gen = _Gen(seed)
    rng = gen.rng
    desk = _Desk(rng)
    visits: list[tuple[Person, PersonRecord]] = []
    while len(visits) < n_records:
        members = gen.household()
        if rng.random() < namesake_rate * len(members):
            # namesakes share a *common* full name (a common given name and surnames)
            common = [
                p
                for p in gen.people[-300:]
                if p.sur1 in p.culture.surnames[:6]
                and p.given.split(" ")[0]
                in [*(p.culture.female + p.culture.male)[:6], "María", *p.culture.male[:6]]
            ]
            if common:
                members.append(gen.namesake(rng.choice(common)))
        for p in members:
            n_visits = 1
            if rng.random() < dup_rate:
                n_visits = 1 + min(1 + int(rng.expovariate(1.2)), 4)
            for k in range(n_visits):
                visits.append((p, _visit(p, k, desk, first=k == 0)))
    rng.shuffle(visits)
    records: list[PersonRecord] = []
    entity: dict[str, str] = {}
    household: dict[str, str] = {}
    for n, (p, rec) in enumerate(visits, start=1):
        rid = f"R{seed:02d}{n:07d}"
        records.append(replace(rec, id=rid))
        entity[rid] = p.pid
        household[rid] = p.hid
    role = {p.pid: p.role for p in gen.people}
    namesake_of = {p.pid: p.namesake_of for p in gen.people if p.namesake_of}
    return Dataset(records, entity, household, role, namesake_of)


def _main(argv: list[str]) -> None:
    n = int(argv[1]) if len(argv) > 1 else 30
    seed = int(argv[2]) if len(argv) > 2 else 1
    data = generate(n, seed)
    by_entity: dict[str, list[PersonRecord]] = {}
    for rec in data.records:
        by_entity.setdefault(data.entity[rec.id], []).append(rec)
    show: Callable[[PersonRecord], str] = lambda r: (  # noqa: E731
        f"{r.given_names} | {r.first_surname} | {r.second_surname} | {r.birth_date} | "
        f"{r.sex} {r.nationality} | {list(r.documents)} | {list(r.phones)}"
    )
    for pid, recs in sorted(by_entity.items()):
        print(pid, data.role[pid])
        for rec in recs:
            print("   ", rec.id, show(rec))


if __name__ == "__main__":
    _main(sys.argv)
