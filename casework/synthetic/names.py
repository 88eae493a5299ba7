"""Names of synthetic people, and the ways desks respell them. Every name is a common one;
no combination belongs to a real person on purpose.

Two vocabularies, one per generator, kept apart because each generator's output for a seed is
fixed (screenshots and the matcher's fitted parameters rest on them):

- ``NAMES``: the demo's short lists by nationality, compound given names written out.
- ``CULTURES``: the benchmark's long lists, list order = commonness (drawn Zipf-like), with
  long tails, and second given names composed at draw time.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field, replace

F, M = "F", "M"

# Given names (female, male) and surnames by nationality: common, synthetic combinations.
NAMES: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "VEN": (
        (
            "María José",
            "Yesenia",
            "Génesis",
            "Daniela",
            "Andreína",
            "Yusmary",
            "Mariángel",
            "Oriana",
            "Karla",
            "Rosa Elena",
            "Yulimar",
            "Ana Karina",
        ),
        (
            "José Luis",
            "Jhon",
            "Yorman",
            "Luis Alberto",
            "Carlos Eduardo",
            "Jesús",
            "Wilmer",
            "Yonaiker",
            "Ángel",
            "Richard",
            "Jean Carlos",
            "Héctor",
        ),
        (
            "González",
            "Rodríguez",
            "Pérez",
            "Hernández",
            "García",
            "Martínez",
            "Rondón",
            "Briceño",
            "Mendoza",
            "Guerrero",
            "Colmenares",
            "Villalobos",
            "Quintero",
            "Parra",
        ),
    ),
    "PER": (
        ("Rosa", "Milagros", "Flor de María", "Yesica", "Lucía", "Gladys", "Sonia", "Maribel"),
        ("Juan Carlos", "Luis", "Wilfredo", "Percy", "César", "Edwin", "Julio César", "Ronald"),
        (
            "Quispe",
            "Flores",
            "Sánchez",
            "Ramírez",
            "Huamán",
            "Chávez",
            "Torres",
            "Vásquez",
            "Mendoza",
            "Castillo",
            "Rojas",
            "Mamani",
        ),
    ),
    "HTI": (
        ("Marie", "Guerline", "Nadège", "Roseline", "Widline", "Fabienne", "Mirlande", "Darline"),
        (
            "Jean-Baptiste",
            "Jean Robert",
            "Pierre",
            "Wilner",
            "Fritznel",
            "Jocelin",
            "Evens",
            "Ricardo",
        ),
        (
            "Joseph",
            "Pierre",
            "Jean-Louis",
            "Louis",
            "Saint-Fleur",
            "Jean-Baptiste",
            "Charles",
            "Dorvil",
            "Exantus",
            "Fils-Aimé",
            "Beauvais",
            "Toussaint",
        ),
    ),
    "COL": (
        ("Luz Marina", "Yenny", "Paola Andrea", "Leidy", "Diana Marcela", "Sandra", "Yuliana"),
        ("Jhon Jairo", "Andrés Felipe", "Duván", "Brayan", "Jorge Eliécer", "Wilson", "Yeison"),
        (
            "Gómez",
            "Rodríguez",
            "Martínez",
            "Ospina",
            "Restrepo",
            "Cardona",
            "Valencia",
            "Mosquera",
            "Córdoba",
            "Palacios",
            "Rentería",
        ),
    ),
    "BOL": (
        ("Juana", "Lidia", "Eulogia", "Margarita", "Celia", "Jhenny", "Roxana"),
        ("Fermín", "Wálter", "Freddy", "Marcelino", "Rubén", "Éver", "Limbert"),
        (
            "Mamani",
            "Quispe",
            "Condori",
            "Choque",
            "Huanca",
            "Flores",
            "Copa",
            "Apaza",
            "Chambi",
            "Ticona",
            "Layme",
            "Vargas",
        ),
    ),
    "CHL": (
        ("Catalina", "Javiera", "Constanza", "Francisca", "Camila", "Valentina"),
        ("Matías", "Benjamín", "Sebastián", "Cristóbal", "Felipe", "Nicolás"),
        (
            "Muñoz",
            "Rojas",
            "Díaz",
            "Soto",
            "Contreras",
            "Silva",
            "Sepúlveda",
            "Morales",
            "Araya",
            "Fuentes",
            "Valenzuela",
            "Tapia",
        ),
    ),
    "CUB": (
        ("Yanelis", "Dayana", "Yaimara", "Odalys", "Yudith"),
        ("Yoandri", "Osniel", "Yunior", "Reinier", "Alexei"),
        ("Pérez", "Rodríguez", "Fernández", "Leyva", "Cabrera", "Batista", "Arencibia"),
    ),
    "DOM": (
        ("Yokasta", "Altagracia", "Yudelka", "Mercedes", "Ruth Esther"),
        ("Ramón Antonio", "Yunior", "Wascar", "Frandy", "Héctor Manuel"),
        ("Santana", "Reyes", "Peña", "De la Cruz", "Rosario", "Mejía", "Almonte"),
    ),
    "ECU": (
        ("Mayra", "Jessenia", "Nancy", "Cumandá"),
        ("Wilmer", "Segundo", "Edison", "Darwin"),
        ("Guamán", "Chimbo", "Loja", "Cedeño", "Zambrano", "Vera"),
    ),
    "ARG": (
        ("Florencia", "Agustina", "Micaela"),
        ("Facundo", "Santiago", "Lautaro"),
        ("Fernández", "López", "Giménez", "Sosa", "Benítez"),
    ),
    "CHN": (("Mei", "Li Na", "Xiu Ying"), ("Wei", "Jian", "Hao"), ("Wang", "Li", "Zhang", "Chen")),
}


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


F_SECOND = _names(
    "José, Fernanda, Alejandra, Isabel, Teresa, de los Ángeles, del Carmen, Paula, Camila, "
    "Elena, Gabriela, Victoria, Andrea, Eugenia, Valentina, Antonia, Lucía, Milagros, Rosa"
)
M_SECOND = _names(
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
VARIANTS: dict[str, tuple[str, ...]] = {}
for _group in _VARIANT_GROUPS:
    for _name in _group:
        VARIANTS.setdefault(_name.lower(), tuple(n for n in _group if n != _name))

# Rule-based phonetic respellings: (pattern, replacement) applied once at a random match.
PHONETIC_SUBS = [
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


def keyboard_neighbours(ch: str) -> str:
    """The keys beside ``ch`` on a Spanish keyboard's row (vowels if it is not a letter key)."""
    rows = _KEYBOARD.split(" ")
    for row in rows:
        k = row.find(ch)
        if k >= 0:
            return row[max(k - 1, 0) : k] + row[k + 1 : k + 2]
    return "aeiou"


def strip_accents(text: str) -> str:
    """Every diacritic dropped (NFKD): "Nadège Désir" -> "Nadege Desir"."""
    return "".join(
        c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)
    ).replace("\u0303", "")
